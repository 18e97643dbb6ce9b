//! Numbers for people: thousands grouped, at most two decimals from 1 up, and below
//! 1 three significant digits, so that a price of 0.00044 per USD never reads as 0;
//! percentages (`percent`); and a bottleneck's resource, unit and period read from
//! its constraint name (`bottleneck_parts`).

/// `1234567.891` -> `1,234,567.89`; `2.999999999` -> `3`; `0.0123456` -> `0.0123`;
/// `0.00044` -> `0.00044`; `5e-10` -> `5e-10`.
pub fn num(x: f64) -> String {
    if x != 0.0 && x.abs() < 0.995 && x.is_finite() {
        return small(x);
    }
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

/// A number below 1 in magnitude to three significant digits: fixed point down to
/// 1e-4, scientific below.
fn small(x: f64) -> String {
    let sci = format!("{x:.2e}");
    let (mantissa, exponent) = sci.split_once('e').unwrap_or((&sci, "0"));
    let exponent: i32 = exponent.parse().unwrap_or(0);
    if exponent >= -4 {
        let decimals = (2 - exponent).max(0) as usize;
        let fixed = format!("{x:.decimals$}");
        let fixed = fixed.trim_end_matches('0').trim_end_matches('.');
        return fixed.to_string();
    }
    let mantissa = mantissa.trim_end_matches('0').trim_end_matches('.');
    format!("{mantissa}e{exponent}")
}

/// A relative gap as a percentage: `1.22%`, `0.0081%`, `0%`.
pub fn percent(gap: f64) -> String {
    format!("{}%", num(100.0 * gap))
}

/// The parts of a bottleneck a sentence names: its resource, the resource's unit (if
/// the scenario gives one) and its period, read from `capacity[resource@period]`.
pub fn bottleneck_parts<'a>(
    scenario: &'a fluidity_solvers::Scenario,
    constraint: &'a str,
) -> (&'a str, Option<&'a str>, &'a str) {
    let inner = constraint
        .strip_prefix("capacity[")
        .and_then(|c| c.strip_suffix(']'))
        .unwrap_or(constraint);
    let (resource, period) = inner.rsplit_once('@').unwrap_or((inner, ""));
    let unit = scenario
        .resources
        .iter()
        .find(|r| r.id == resource)
        .map(|r| r.unit.as_str())
        .filter(|u| !u.is_empty());
    (resource, unit, period)
}

/// "one more percent of leadership (hours) in dec is worth 40.4 (9.84 per hours)":
/// the bottleneck in terms that compare across units, its price per unit beside it.
pub fn bottleneck_sentence(
    scenario: &fluidity_solvers::Scenario,
    bottleneck: &fluidity_solvers::Bottleneck,
) -> String {
    let (resource, unit, period) = bottleneck_parts(scenario, &bottleneck.constraint);
    let per = unit.map_or("per unit".to_string(), |u| format!("per {u}"));
    let named = unit.map_or(resource.to_string(), |u| format!("{resource} ({u})"));
    format!(
        "one more percent of {named} in {period} is worth {} ({} {per})",
        num(bottleneck.value_of_one_percent),
        num(bottleneck.shadow_price)
    )
}

/// A relative deviation for a person: `-25.0%`, `0.0%` (never `-0.0%`), or
/// `none planned` where the plan had none.
pub fn off_plan(x: f64) -> String {
    if x.abs() >= 1e6 {
        "none planned".to_string()
    } else if (100.0 * x).abs() < 0.05 {
        "0.0%".to_string()
    } else {
        format!("{:+.1}%", 100.0 * x)
    }
}

#[cfg(test)]
mod tests {
    use super::{num, percent};

    #[test]
    fn small_prices_keep_their_significant_digits() {
        assert_eq!(num(0.0), "0");
        assert_eq!(num(6.4212), "6.42");
        assert_eq!(num(0.00044), "0.00044");
        assert_eq!(num(0.0004412), "0.000441");
        assert_eq!(num(0.0123456), "0.0123");
        assert_eq!(num(0.5), "0.5");
        assert_eq!(num(0.9999), "1");
        assert_eq!(num(-0.0123456), "-0.0123");
        assert_eq!(num(5e-10), "5e-10");
        assert_eq!(num(4.4e-5), "4.4e-5");
        assert_eq!(num(-1e-6), "-1e-6");
        assert_eq!(percent(0.0122), "1.22%");
        assert_eq!(percent(0.0), "0%");
    }

    #[test]
    fn numbers_read_like_a_report() {
        assert_eq!(num(0.0), "0");
        assert_eq!(num(2.5), "2.5");
        assert_eq!(num(1234567.891), "1,234,567.89");
        assert_eq!(num(-1500.0), "-1,500");
        assert_eq!(num(2.999999999), "3");
    }
}
