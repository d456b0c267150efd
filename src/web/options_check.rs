//! The JS constructor's checks for options built in Rust. `SocketOptions::from_js` checks each
//! value as it reads it from the JS object; a Rust app fills the struct itself, so
//! `Socket::new` runs the same rules over the struct (`option_rules`: each number's limits from
//! `OPTIONS`, the transports list, the certificate hashes' length, `maxDelayMs` at least
//! `initialDelayMs`), with the same messages naming the option by its JS name. Why: a heartbeat
//! interval of 0 ms, a NaN backoff factor or a jitter of 2 would otherwise reach the core (a
//! ping due at once, every time; delays that are NaN or longer than the maximum), and an empty
//! transports list would fail only at `connect()`, as "no supported transport".
//!
//! Built with `std` only (the Rust API's build): the npm build's options all come through
//! `from_js`. The browser tests run the std build, where the JS class's options pass both
//! `from_js` and this check, so a rule added here alone would pass those tests for JS options
//! while the npm package lacked it: add a rule to `option_rules`, which both use.

use super::options::{check_delays, js_number, OptionsError, SocketOptions};
use crate::core::text::decimal;
use crate::option_rules::{
    check_number, full_name, hashes, limits, number_message, transports, Field, Kind, NumberError,
    Opt, MAX_WHOLE, OPTIONS,
};
use crate::prelude::*;

impl SocketOptions {
    /// Refuses what `new UniversalSocket(url, options)` refuses, with its message: a number
    /// outside its option's limits (whole numbers at most 2^53 − 1, where JS numbers stop being
    /// exact: a Rust "never" is `None` where a field has one, as `upgrade_after_ms` and
    /// `max_attempts` do), an empty or repeating transports list, a certificate hash that is not
    /// 32 bytes, `max_ms` below `initial_ms`. Options that are off (no heartbeat, no batching,
    /// sessions off) are not checked. [`Socket::new`](super::socket::Socket::new) calls it; call
    /// it yourself to check options before that.
    pub fn check(&self) -> Result<(), OptionsError> {
        let c = &self.connection;
        let names: Vec<String> = c.transports.iter().map(|k| k.as_str().into()).collect();
        transports(&names).map_err(OptionsError)?;
        if let Some(hash) = self.certificate_hashes.iter().find(|h| h.len() != 32) {
            return Err(OptionsError(hashes::wrong_length(hash.len())));
        }
        check_numbers(self, "", OPTIONS).map_err(OptionsError)?;
        check_delays(c)
    }
}

/// A numeric option's value, as the struct holds it.
enum Value {
    /// Milliseconds, counts, sizes.
    Whole(u64),
    /// The backoff's factor and jitter.
    Number(f64),
}

/// Checks every numeric option of `keys` (nested objects depth first, when they are on:
/// `reconnect` always is, as in JS, where `reconnect: false` is a limit of 0 attempts).
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
        let (Some((min, max)), Some(value)) = (limits(opt.kind), value_of(options, opt.field))
        else {
            continue;
        };
        // Whole numbers are compared and shown as integers (an f64 would round those past
        // 2^53); the JS path shows the same text for every value JS can hold exactly.
        let refused = match value {
            Value::Whole(v) if v < min || v > MAX_WHOLE => Some((NumberError::Range, decimal(v))),
            Value::Whole(_) => None,
            Value::Number(v) => check_number(v, min, max)
                .err()
                .map(|error| (error, js_number(v))),
        };
        if let Some((error, shown)) = refused {
            return Err(number_message(&name, error, min, max, &shown));
        }
    }
    Ok(())
}

/// A numeric option's value (`None` for one that is unset, as `upgradeAfterMs` never, or off).
/// Every field is named, none by a wildcard: a new option must say here what it checks.
fn value_of(options: &SocketOptions, field: Field) -> Option<Value> {
    let c = &options.connection;
    let (s, q, b) = (&c.session, &c.queue, &c.backoff);
    let whole: u64 = match (field, c.heartbeat.as_ref(), c.batch.as_ref()) {
        (Field::Factor, ..) => return Some(Value::Number(b.factor)),
        (Field::Jitter, ..) => return Some(Value::Number(b.jitter)),
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
        // Off: not checked.
        (Field::Interval | Field::HeartbeatTimeout, None, _) => return None,
        (Field::BatchMaxMessages | Field::FlushInterval | Field::BatchMaxBytes, _, None) => {
            return None
        }
        // Not numbers, or checked in `check`.
        (
            Field::Transports
            | Field::Endpoints
            | Field::Endpoint(_)
            | Field::Protocols
            | Field::BinaryType
            | Field::Reconnect
            | Field::Resume
            | Field::Heartbeat
            | Field::Ping
            | Field::Pong
            | Field::Batch
            | Field::Queue
            | Field::Overflow
            | Field::WebTransport
            | Field::CertificateHashes
            | Field::Auth
            | Field::Token
            | Field::GetToken
            | Field::ParseJson
            | Field::DecodeBinary
            | Field::WebSocketStream
            | Field::Debug,
            ..,
        ) => return None,
    };
    Some(Value::Whole(whole))
}
