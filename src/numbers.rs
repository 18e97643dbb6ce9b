//! Numbers for people: at most two decimals, no trailing zeros, thousands grouped.

/// `1234567.891` -> `1,234,567.89`; `2.999999999` -> `3`; `-0.000001` -> `0`.
pub fn num(x: f64) -> String {
    let rounded = format!("{:.2}", x);
    let rounded = rounded.trim_end_matches('0').trim_end_matches('.');
    let (sign, digits) = match rounded.strip_prefix('-') {
        Some(rest) if rest != "0" => ("-", rest),
        Some(rest) => ("", rest),
        None => ("", rounded),
    };
    let (whole, fraction) = digits.split_once('.').unwrap_or((digits, ""));
    let mut grouped = String::new();
    for (k, c) in whole.chars().enumerate() {
        if k > 0 && (whole.len() - k) % 3 == 0 {
            grouped.push(',');
        }
        grouped.push(c);
    }
    if fraction.is_empty() {
        format!("{sign}{grouped}")
    } else {
        format!("{sign}{grouped}.{fraction}")
    }
}

#[cfg(test)]
mod tests {
    use super::num;

    #[test]
    fn numbers_read_like_a_report() {
        assert_eq!(num(0.0), "0");
        assert_eq!(num(-0.000001), "0");
        assert_eq!(num(2.5), "2.5");
        assert_eq!(num(1234567.891), "1,234,567.89");
        assert_eq!(num(-1500.0), "-1,500");
        assert_eq!(num(2.999999999), "3");
    }
}
