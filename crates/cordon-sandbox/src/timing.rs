//! Phase timestamps of one `cordon run`, for `-v` ("where did the start-up go").
//! Marks are CLOCK_MONOTONIC nanoseconds, the same clock in the supervisor and
//! in the sandbox's init, which sends its own marks back with `Ready`. A
//! handful of marks per run, so a mutex-guarded list is plenty.
use std::sync::Mutex;

static MARKS: Mutex<Vec<(String, u64)>> = Mutex::new(Vec::new());

/// CLOCK_MONOTONIC in nanoseconds.
pub fn now_ns() -> u64 {
    let mut ts = libc::timespec {
        tv_sec: 0,
        tv_nsec: 0,
    };
    // SAFETY: clock_gettime fills the timespec; CLOCK_MONOTONIC always exists.
    unsafe { libc::clock_gettime(libc::CLOCK_MONOTONIC, &mut ts) };
    ts.tv_sec as u64 * 1_000_000_000 + ts.tv_nsec as u64
}

/// Record that `phase` has just ended.
pub fn mark(phase: &str) {
    let t = now_ns();
    if let Ok(mut m) = MARKS.lock() {
        m.push((phase.to_string(), t));
    }
}

/// Take this process's marks (init sends them to the supervisor).
pub fn take() -> Vec<(String, u64)> {
    MARKS
        .lock()
        .map(|mut m| std::mem::take(&mut *m))
        .unwrap_or_default()
}

/// "plan 0.41 ms, clone 0.62 ms, ...": each phase's length, in the order
/// marked (the first mark only sets the origin), then the total.
pub fn report() -> String {
    let Ok(m) = MARKS.lock() else {
        return String::new();
    };
    format_marks(&m)
}

/// The time of the first mark of this process, if any.
pub fn origin() -> Option<u64> {
    MARKS.lock().ok()?.first().map(|m| m.1)
}

/// The same report for a list of marks (for init's, sent with `Ready`).
pub fn format_marks(m: &[(String, u64)]) -> String {
    let ms = |a: u64, b: u64| b.saturating_sub(a) as f64 / 1e6;
    let mut out: Vec<String> = m
        .windows(2)
        .map(|w| format!("{} {:.2} ms", w[1].0, ms(w[0].1, w[1].1)))
        .collect();
    if let (Some(first), Some(last)) = (m.first(), m.last()) {
        out.push(format!("total {:.2} ms", ms(first.1, last.1)));
    }
    out.join(", ")
}

#[cfg(test)]
mod tests {
    #[test]
    fn phases_are_reported_in_order_with_a_total() {
        let m = vec![
            ("start".to_string(), 1_000_000),
            ("one".to_string(), 1_500_000),
            ("two".to_string(), 3_000_000),
        ];
        assert_eq!(
            super::format_marks(&m),
            "one 0.50 ms, two 1.50 ms, total 2.00 ms"
        );
        let a = super::now_ns();
        assert!(super::now_ns() >= a);
    }
}
