//! Reconnect backoff (guide §7.1 `RobustWebSocketManager.scheduleReconnect`).

/// Reconnect delay policy: `delay(attempt) = min(initial × factor^(attempt−1), max)`, attempts
/// counted from 1, exactly the guide's formula. The defaults are the guide's options
/// (`reconnectInterval` 1000, `reconnectDecay` 1.5, `maxReconnectInterval` 30000,
/// `maxReconnectAttempts` 5). The guide's simpler `WebSocketClient` (`2^n × 1000`) is the same
/// policy with `initial_ms: 2000, factor: 2.0`.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct BackoffConfig {
    /// Delay before the first reconnect attempt, ms.
    pub initial_ms: u64,
    /// Growth per attempt.
    pub factor: f64,
    /// Upper bound of any delay, ms.
    pub max_ms: u64,
    /// Reconnect attempts before giving up; `None` retries forever.
    pub max_attempts: Option<u32>,
    /// Fraction in `[0, 1]` of each delay that is randomised away: the delay becomes
    /// `d × (1 − jitter × r)` with `r` uniform in `[0, 1)`. Default 0 so the schedule is exact
    /// and matches the guide. Turn it on (e.g. 0.5) when many clients share a server: after a
    /// server restart they would otherwise all reconnect in the same millisecond (thundering
    /// herd). Jitter only shortens delays, so `max_ms` stays a true upper bound.
    pub jitter: f64,
}

impl Default for BackoffConfig {
    fn default() -> Self {
        Self {
            initial_ms: 1000,
            factor: 1.5,
            max_ms: 30_000,
            max_attempts: Some(5),
            jitter: 0.0,
        }
    }
}

impl BackoffConfig {
    /// Delay before reconnect attempt `attempt` (1-based; 0 is treated as 1), given a random
    /// value `random` in `[0, 1)` used only when `jitter > 0`.
    ///
    /// Rounding: the fractional millisecond is truncated (5062.5 → 5062). That is what the guide's
    /// JS actually waits: `setTimeout` converts its delay with WebIDL `long` conversion, which
    /// truncates toward zero.
    pub fn delay_ms(&self, attempt: u32, random: f64) -> u64 {
        let exp = attempt.saturating_sub(1);
        let exp = i32::try_from(exp).unwrap_or(i32::MAX);
        let raw = self.initial_ms as f64 * crate::core::float::powi(self.factor, exp);
        let capped = if raw.is_nan() {
            self.max_ms as f64
        } else {
            raw.min(self.max_ms as f64)
        };
        let jitter = if self.jitter.is_finite() {
            self.jitter.clamp(0.0, 1.0)
        } else {
            0.0
        };
        let r = if random.is_finite() {
            random.clamp(0.0, 1.0)
        } else {
            0.0
        };
        let d = capped * (1.0 - jitter * r);
        // `as` saturates for out-of-range floats and maps NaN to 0; truncation is intended.
        d.max(0.0) as u64
    }

    /// Whether another reconnect attempt is allowed after `attempts_made` attempts.
    pub fn allows(&self, attempts_made: u32) -> bool {
        self.max_attempts.is_none_or(|m| attempts_made < m)
    }
}

#[cfg(all(test, not(target_arch = "wasm32")))]
mod tests {
    use super::*;

    #[test]
    fn default_schedule() {
        let b = BackoffConfig::default();
        let got: Vec<u64> = (1..=12).map(|n| b.delay_ms(n, 0.0)).collect();
        assert_eq!(
            got,
            vec![1000, 1500, 2250, 3375, 5062, 7593, 11390, 17085, 25628, 30000, 30000, 30000]
        );
        assert!(b.allows(4));
        assert!(!b.allows(5));
    }

    #[test]
    fn guide_websocket_client_schedule() {
        // WebSocketClient.reconnect(): delay = 2^attempt * 1000.
        let b = BackoffConfig {
            initial_ms: 2000,
            factor: 2.0,
            max_ms: u64::MAX,
            ..BackoffConfig::default()
        };
        for n in 1..=5u32 {
            assert_eq!(b.delay_ms(n, 0.0), 2u64.pow(n) * 1000);
        }
    }

    #[test]
    fn jitter_shortens_within_bounds() {
        let b = BackoffConfig {
            jitter: 0.5,
            ..BackoffConfig::default()
        };
        assert_eq!(b.delay_ms(1, 0.0), 1000);
        assert_eq!(b.delay_ms(1, 0.5), 750);
        let d = b.delay_ms(1, 0.999_999);
        assert!((500..=1000).contains(&d));
        assert_eq!(b.delay_ms(20, 0.0), 30_000);
    }

    #[test]
    fn extreme_inputs_do_not_panic() {
        let b = BackoffConfig {
            factor: f64::INFINITY,
            jitter: f64::NAN,
            max_attempts: None,
            ..BackoffConfig::default()
        };
        assert_eq!(b.delay_ms(u32::MAX, f64::NAN), 30_000);
        assert_eq!(b.delay_ms(0, 0.0), 1000);
        assert!(b.allows(u32::MAX));
    }
}
