//! The JS constructor's checks for options built in Rust. `SocketOptions::from_js` checks each
//! number as it reads it from the JS object; a Rust app fills the struct itself, so
//! `Socket::new` runs the same rules (`option_rules::OPTIONS`: each number's limits) over the
//! struct, with the same messages naming the option by its JS name. Why: a heartbeat interval of
//! 0 ms, a NaN backoff factor or a jitter of 2 would otherwise reach the core (a ping due at
//! once, every time; delays that are NaN or longer than the maximum).
//!
//! Built with `std` only (the Rust API's build): the npm build's options all come through
//! `from_js`.

use super::options::{check_delays, js_number, OptionsError, SocketOptions};
use crate::option_rules::{
    check_number, check_whole, full_name, limits, number_message, Field, Kind, Opt, OPTIONS,
};
use crate::prelude::*;

impl SocketOptions {
    /// Refuses what `new UniversalSocket(url, options)` refuses: a number outside its option's
    /// limits, or `maxDelayMs` below `initialDelayMs`. Options that are off (no heartbeat, no
    /// batching, sessions off) are not checked.
    pub fn check(&self) -> Result<(), OptionsError> {
        check_numbers(self, "", OPTIONS).map_err(OptionsError)?;
        check_delays(&self.connection)
    }
}

/// Checks every numeric option of `keys` (nested objects depth first, when they are on).
fn check_numbers(options: &SocketOptions, path: &str, keys: &[Opt]) -> Result<(), String> {
    let c = &options.connection;
    for opt in keys {
        let name = full_name(path, opt.key);
        if let Kind::Object(inner, _) = opt.kind {
            let on = match opt.field {
                Field::Heartbeat => c.heartbeat.is_some(),
                Field::Batch => c.batch.is_some(),
                Field::Resume => c.session.enabled,
                _ => true,
            };
            if on {
                check_numbers(options, &name, inner)?;
            }
            continue;
        }
        let (Some((min, max)), Some(value)) = (limits(opt.kind), number_of(options, opt.field))
        else {
            continue;
        };
        let checked = match opt.kind {
            Kind::Number(..) => check_number(value, min, max).map(drop),
            _ => check_whole(value, min).map(drop),
        };
        if let Err(error) = checked {
            return Err(number_message(&name, error, min, max, &js_number(value)));
        }
    }
    Ok(())
}

/// A numeric option's value as the struct holds it (`None` for one that is unset, such as
/// `upgradeAfterMs` never, or not a number). Counts beyond 2^53 are refused as JS would.
fn number_of(options: &SocketOptions, field: Field) -> Option<f64> {
    let c = &options.connection;
    let (s, q, b) = (&c.session, &c.queue, &c.backoff);
    let whole: u64 = match (field, c.heartbeat.as_ref(), c.batch.as_ref()) {
        (Field::Factor, ..) => return Some(b.factor),
        (Field::Jitter, ..) => return Some(b.jitter),
        (Field::InitialDelay, ..) => b.initial_ms,
        (Field::MaxDelay, ..) => b.max_ms,
        (Field::MaxAttempts, ..) => b.max_attempts?.into(),
        (Field::ConnectTimeout, ..) => c.connect_timeout_ms,
        (Field::UpgradeAfter, ..) => c.upgrade_after_ms?,
        (Field::AckDelay, ..) => s.ack_delay_ms,
        (Field::HelloTimeout, ..) => s.hello_timeout_ms,
        (Field::ResumeMaxMessages, ..) => s.max_messages as u64,
        (Field::ResumeMaxBytes, ..) => s.max_bytes as u64,
        (Field::Interval, Some(beat), _) => beat.interval_ms,
        (Field::HeartbeatTimeout, Some(beat), _) => beat.timeout_ms,
        (Field::BatchMaxMessages, _, Some(batch)) => batch.max_messages as u64,
        (Field::FlushInterval, _, Some(batch)) => batch.flush_interval_ms,
        (Field::BatchMaxBytes, _, Some(batch)) => batch.max_bytes as u64,
        (Field::QueueMaxMessages, ..) => q.max_messages as u64,
        (Field::QueueMaxBytes, ..) => q.max_bytes as u64,
        (Field::MaxMessageBytes, ..) => c.max_message_size as u64,
        _ => return None,
    };
    Some(whole as f64)
}
