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

/// A number that may be tiny (a price per USD, the value of a scenario in units of
/// 1e-9): like [`num`] from 0.01 up; smaller ones keep three significant digits, so
/// 0.00044 per USD is not shown as 0: `0.00044`, `5e-10`.
pub fn significant(x: f64) -> String {
    if x == 0.0 || x.abs() >= 0.01 || !x.is_finite() {
        return num(x);
    }
    if x.abs() >= 1e-4 {
        let decimals = (-x.abs().log10().floor()) as usize + 2;
        let fixed = format!("{x:.decimals$}");
        return fixed.trim_end_matches('0').to_string();
    }
    let sci = format!("{x:.2e}");
    let (mantissa, exponent) = sci.split_once('e').unwrap_or((&sci, "0"));
    let mantissa = mantissa.trim_end_matches('0').trim_end_matches('.');
    format!("{mantissa}e{exponent}")
}

/// A relative gap as a percentage: `1.22%`, `0.0081%`, `0%`.
pub fn percent(gap: f64) -> String {
    format!("{}%", significant(100.0 * gap))
}

#[cfg(test)]
mod tests {
    use super::{num, percent, significant};

    #[test]
    fn small_prices_keep_their_significant_digits() {
        assert_eq!(significant(0.0), "0");
        assert_eq!(significant(6.4212), "6.42");
        assert_eq!(significant(0.00044), "0.00044");
        assert_eq!(significant(0.0004412), "0.000441");
        assert_eq!(significant(5e-10), "5e-10");
        assert_eq!(significant(4.4e-5), "4.4e-5");
        assert_eq!(percent(0.0122), "1.22%");
        assert_eq!(percent(0.0), "0%");
    }

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
