//! Time formatting and parsing without a calendar crate.
//!
//! ```
//! use cordon_audit::time::{rfc3339, parse_since};
//! assert_eq!(rfc3339(0), "1970-01-01T00:00:00.000Z");
//! assert_eq!(parse_since("2026-11-24T05:00:00Z", 0), Some(1_795_496_400_000_000_000));
//! assert_eq!(parse_since("2h", 3 * 3_600_000_000_000), Some(3_600_000_000_000));
//! ```

const NS: u64 = 1_000_000_000;

/// `YYYY-MM-DDTHH:MM:SS.mmmZ` (UTC) of nanoseconds since the epoch.
pub fn rfc3339(ns: u64) -> String {
    let secs = ns / NS;
    let ms = (ns % NS) / 1_000_000;
    let (y, m, d) = civil_from_days((secs / 86_400) as i64);
    let rem = secs % 86_400;
    format!(
        "{y:04}-{m:02}-{d:02}T{:02}:{:02}:{:02}.{ms:03}Z",
        rem / 3600,
        (rem % 3600) / 60,
        rem % 60
    )
}

/// Parse a `--since` value into nanoseconds since the epoch: an RFC 3339 time
/// (`2026-11-24T05:00:00Z`, `2026-11-24`), a duration ago (`30s`, `10m`,
/// `2h`, `7d`) relative to `now_ns`, or Unix seconds (`@1795496400`).
pub fn parse_since(s: &str, now_ns: u64) -> Option<u64> {
    let t = s.trim();
    if let Some(secs) = t.strip_prefix('@') {
        return secs.parse::<u64>().ok().map(|v| v.saturating_mul(NS));
    }
    for (suffix, mult) in [
        ("s", 1u64),
        ("m", 60),
        ("h", 3600),
        ("d", 86_400),
        ("w", 604_800),
    ] {
        if let Some(n) = t.strip_suffix(suffix) {
            if let Ok(v) = n.parse::<u64>() {
                return Some(now_ns.saturating_sub(v.saturating_mul(mult).saturating_mul(NS)));
            }
        }
    }
    parse_rfc3339(t)
}

/// Parse `YYYY-MM-DD[THH:MM[:SS[.frac]]][Z|±HH:MM]`.
pub fn parse_rfc3339(t: &str) -> Option<u64> {
    let b = t.as_bytes();
    let num = |r: std::ops::Range<usize>| -> Option<i64> {
        let s = t.get(r)?;
        s.bytes()
            .all(|c| c.is_ascii_digit())
            .then(|| s.parse().ok())?
    };
    if b.len() < 10 || b[4] != b'-' || b[7] != b'-' {
        return None;
    }
    let (y, mo, d) = (num(0..4)?, num(5..7)?, num(8..10)?);
    if !(1..=12).contains(&mo) || !(1..=31).contains(&d) {
        return None;
    }
    let mut secs = days_from_civil(y, mo, d) * 86_400;
    let mut nanos = 0i64;
    let mut rest = &t[10..];
    if let Some(r) = rest.strip_prefix(['T', 't', ' ']) {
        let h = r.get(0..2)?.parse::<i64>().ok()?;
        let mi = r.get(3..5)?.parse::<i64>().ok()?;
        rest = &r[5..];
        let mut sec = 0;
        if let Some(r2) = rest.strip_prefix(':') {
            sec = r2.get(0..2)?.parse::<i64>().ok()?;
            rest = &r2[2..];
            if let Some(f) = rest.strip_prefix('.') {
                let digits: String = f.chars().take_while(|c| c.is_ascii_digit()).collect();
                rest = &f[digits.len()..];
                let mut padded = digits.clone();
                padded.truncate(9);
                while padded.len() < 9 {
                    padded.push('0');
                }
                nanos = padded.parse().ok()?;
            }
        }
        secs += h * 3600 + mi * 60 + sec;
    }
    match rest {
        "" | "Z" | "z" => {}
        off => {
            let sign = match off.as_bytes().first()? {
                b'+' => 1,
                b'-' => -1,
                _ => return None,
            };
            let oh = off.get(1..3)?.parse::<i64>().ok()?;
            let om = off.get(4..6)?.parse::<i64>().ok()?;
            secs -= sign * (oh * 3600 + om * 60);
        }
    }
    if secs < 0 {
        return None;
    }
    // Times past 2554 saturate: nothing in a journal is that late.
    Some(
        (secs as u64)
            .saturating_mul(NS)
            .saturating_add(nanos as u64),
    )
}

// Howard Hinnant's civil calendar algorithms.
fn civil_from_days(z: i64) -> (i64, u32, u32) {
    let z = z + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let y = yoe + era * 400;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = (doy - (153 * mp + 2) / 5 + 1) as u32;
    let m = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
    (if m <= 2 { y + 1 } else { y }, m, d)
}

fn days_from_civil(y: i64, m: i64, d: i64) -> i64 {
    let y = if m <= 2 { y - 1 } else { y };
    let era = y.div_euclid(400);
    let yoe = y.rem_euclid(400);
    let mp = if m > 2 { m - 3 } else { m + 9 };
    let doy = (153 * mp + 2) / 5 + d - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn roundtrip() {
        for ns in [0u64, 951_782_400_123_000_000, 1_795_496_400_000_000_000] {
            assert_eq!(parse_rfc3339(&rfc3339(ns)), Some(ns));
        }
        assert_eq!(
            parse_rfc3339("2026-11-24T06:00:00+01:00"),
            parse_rfc3339("2026-11-24T05:00:00Z")
        );
        assert_eq!(parse_since("yesterday", 0), None);
        assert_eq!(parse_since("2999-01-01", 0), Some(u64::MAX));
        assert_eq!(parse_since("99999999999d", 5), Some(0));
    }
}
