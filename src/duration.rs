//! Parsing of `--min-ttl` values: plain seconds or `90s`, `5m`, `1h`.

use std::time::Duration;

/// Parses `300`, `90s`, `5m` or `1h` into a duration.
pub fn parse(text: &str) -> Result<Duration, String> {
    let text = text.trim();
    let (digits, unit) = match text.find(|c: char| !c.is_ascii_digit()) {
        Some(split) => text.split_at(split),
        None => (text, "s"),
    };
    let invalid =
        || format!("invalid duration `{text}`: use seconds or a number with s, m or h, such as `90s`, `5m`, `1h`");
    let count: u64 = digits.parse().map_err(|_| invalid())?;
    let unit_secs = match unit {
        "s" => 1,
        "m" => 60,
        "h" => 3600,
        _ => return Err(invalid()),
    };
    let secs = count
        .checked_mul(unit_secs)
        .filter(|s| *s <= 7 * 24 * 3600)
        .ok_or_else(|| format!("invalid duration `{text}`: the maximum is 168h (7 days)"))?;
    Ok(Duration::from_secs(secs))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parse_accepts_documented_forms() {
        assert_eq!(parse("300").unwrap(), Duration::from_secs(300));
        assert_eq!(parse("90s").unwrap(), Duration::from_secs(90));
        assert_eq!(parse("5m").unwrap(), Duration::from_secs(300));
        assert_eq!(parse("1h").unwrap(), Duration::from_secs(3600));
        assert_eq!(parse("0").unwrap(), Duration::ZERO);
    }

    #[test]
    fn parse_rejects_other_forms() {
        for bad in ["", "m", "5x", "-5", "1.5h", "5 m", "1000h"] {
            let err = parse(bad).unwrap_err();
            assert!(err.contains("invalid duration"), "{bad}: {err}");
        }
    }
}
