//! What the benchmarks share: their settings from the environment and the
//! quantiles they report.

use std::time::Duration;

/// A whole-number setting from the environment, or `default`.
pub fn env(name: &str, default: usize) -> usize {
    std::env::var(name).ok().and_then(|v| v.parse().ok()).unwrap_or(default)
}

/// The p50 and p99 of `samples`, in milliseconds (nearest rank).
pub fn quantiles(mut samples: Vec<Duration>) -> (f64, f64) {
    samples.sort();
    let at = |q: f64| samples[((samples.len() as f64 - 1.0) * q).round() as usize].as_secs_f64() * 1000.0;
    (at(0.5), at(0.99))
}
