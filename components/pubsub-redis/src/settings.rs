//! The component's metadata, read as daprd's `pubsub.redis` reads it (components-contrib
//! `common/component/redis`): durations as Go writes them (`60s`, `1m30s`, `500ms`), where `processingTimeout` and
//! `redeliverInterval` take a plain number as milliseconds (daprd's "legacy" rule) and `streamTTL` as seconds.

use pillion_pdk::metadata::Properties;
use pillion_pdk::Error;

/// How the stream is trimmed on publish.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Trim {
    /// Never (the default).
    Never,
    /// `MAXLEN ~ n` (`maxLenApprox`).
    MaxLenApprox(u64),
    /// `MINID ~ <now - age>-1` (`streamTTL`, in milliseconds).
    MaxAgeMillis(u64),
}

/// What the component reads from its metadata.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Settings {
    /// `consumerID`: the consumer group of every subscription, instead of the subscription's name.
    pub consumer_id: Option<String>,
    /// `processingTimeout`: how long a pulled message stays with its consumer before another may take it.
    pub processing_timeout_ms: u64,
    /// `redeliverInterval`: accepted and checked; the redelivery it paces in daprd happens at every pull here.
    pub redeliver_interval_ms: u64,
    /// `queueDepth`: the most messages one pull reads.
    pub queue_depth: u32,
    /// `concurrency`: accepted and checked; handlers are run, and counted, by the host.
    pub concurrency: u32,
    pub trim: Trim,
}

impl Default for Settings {
    fn default() -> Self {
        Settings {
            consumer_id: None,
            processing_timeout_ms: 60_000,
            redeliver_interval_ms: 15_000,
            queue_depth: 100,
            concurrency: 10,
            trim: Trim::Never,
        }
    }
}

fn invalid(field: &str, value: &str, expected: &str) -> Error {
    Error::InvalidArgument(format!(
        "metadata '{}' of the Redis pub/sub component must be {}, got '{}'",
        field, expected, value
    ))
}

/// Parses a Go duration (`time.ParseDuration`: `300ms`, `1.5h`, `2h45m`, `0`) into milliseconds, sub-millisecond
/// parts dropped; `None` if it is not one or is negative.
pub fn go_duration_millis(text: &str) -> Option<u64> {
    let mut rest = text.strip_prefix('+').unwrap_or(text);
    if rest.starts_with('-') {
        return if go_duration_millis(&rest[1..]) == Some(0) { Some(0) } else { None };
    }
    if rest == "0" {
        return Some(0);
    }
    if rest.is_empty() {
        return None;
    }
    let mut nanos = 0f64;
    while !rest.is_empty() {
        let number_end = rest.find(|c: char| !(c.is_ascii_digit() || c == '.')).unwrap_or(rest.len());
        let number = &rest[..number_end];
        if number.is_empty() || number == "." || number.matches('.').count() > 1 {
            return None;
        }
        let value: f64 = number.parse().ok()?;
        rest = &rest[number_end..];
        let unit_end = rest.find(|c: char| c.is_ascii_digit() || c == '.').unwrap_or(rest.len());
        let scale = match &rest[..unit_end] {
            "ns" => 1e0,
            "us" | "\u{b5}s" | "\u{3bc}s" => 1e3,
            "ms" => 1e6,
            "s" => 1e9,
            "m" => 60e9,
            "h" => 3600e9,
            _ => return None,
        };
        nanos += value * scale;
        rest = &rest[unit_end..];
    }
    if nanos > 9.2e18 {
        return None;
    }
    Some((nanos / 1e6) as u64)
}

/// A duration property: a Go duration, or a plain number of `plain_unit_ms` milliseconds.
fn duration(properties: &Properties, field: &str, plain_unit_ms: u64) -> Result<Option<u64>, Error> {
    let value = match properties.get(field).map(str::trim).filter(|v| !v.is_empty()) {
        Some(value) => value,
        None => return Ok(None),
    };
    if let Ok(number) = value.parse::<u64>() {
        return number.checked_mul(plain_unit_ms).map(Some).ok_or_else(|| invalid(field, value, "a duration"));
    }
    go_duration_millis(value)
        .map(Some)
        .ok_or_else(|| invalid(field, value, "a duration such as 60s, 500ms or 1m30s (a plain number is milliseconds)"))
}

fn positive(properties: &Properties, field: &str) -> Result<Option<u64>, Error> {
    match properties.get(field).map(str::trim).filter(|v| !v.is_empty()) {
        None => Ok(None),
        Some(value) => match value.parse::<u64>() {
            Ok(number) if number > 0 => Ok(Some(number)),
            _ => Err(invalid(field, value, "a positive integer")),
        },
    }
}

/// Reads the settings; anything else in the metadata (the host's connection settings, unknown names) is ignored.
pub fn parse(properties: &Properties) -> Result<Settings, Error> {
    let mut settings = Settings::default();
    settings.consumer_id = properties.get("consumerID").map(str::trim).filter(|v| !v.is_empty()).map(String::from);
    if let Some(timeout) = duration(properties, "processingTimeout", 1)? {
        if timeout == 0 {
            // daprd turns redelivery off; here redelivery is also how a RETRY comes back, and how the messages of a
            // runtime that died reach the others, so it cannot be off.
            return Err(invalid("processingTimeout", properties.get("processingTimeout").unwrap_or(""), "positive: Pillion delivers a message again after it, and cannot turn redelivery off"));
        }
        settings.processing_timeout_ms = timeout;
    }
    if let Some(interval) = duration(properties, "redeliverInterval", 1)? {
        if interval == 0 {
            return Err(invalid("redeliverInterval", properties.get("redeliverInterval").unwrap_or(""), "positive: Pillion cannot turn redelivery off"));
        }
        settings.redeliver_interval_ms = interval;
    }
    if let Some(depth) = positive(properties, "queueDepth")? {
        settings.queue_depth = u32::try_from(depth).map_err(|_| invalid("queueDepth", &depth.to_string(), "at most 4294967295"))?;
    }
    if let Some(concurrency) = positive(properties, "concurrency")? {
        settings.concurrency =
            u32::try_from(concurrency).map_err(|_| invalid("concurrency", &concurrency.to_string(), "at most 4294967295"))?;
    }
    let max_len = match properties.get("maxLenApprox").map(str::trim).filter(|v| !v.is_empty()) {
        None => None,
        Some(value) => Some(value.parse::<u64>().map_err(|_| invalid("maxLenApprox", value, "a number of entries"))?),
    };
    let ttl = duration(properties, "streamTTL", 1000)?;
    settings.trim = match (max_len.filter(|n| *n > 0), ttl.filter(|t| *t > 0)) {
        (Some(_), Some(_)) => {
            return Err(Error::InvalidArgument(
                "metadata 'maxLenApprox' and 'streamTTL' of the Redis pub/sub component are exclusive: a stream is \
                 trimmed by length or by age, not both"
                    .into(),
            ))
        }
        (Some(length), None) => Trim::MaxLenApprox(length),
        (None, Some(age)) => Trim::MaxAgeMillis(age),
        (None, None) => Trim::Never,
    };
    Ok(settings)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashMap;

    fn settings(pairs: &[(&str, &str)]) -> Result<Settings, Error> {
        let map: HashMap<String, String> = pairs.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect();
        parse(&Properties::new(&map).unwrap())
    }

    #[test]
    fn parses_go_durations() {
        for (text, millis) in [
            ("60s", 60_000),
            ("500ms", 500),
            ("1m30s", 90_000),
            ("1.5h", 5_400_000),
            ("2h45m", 9_900_000),
            ("0", 0),
            ("1500us", 1),
            ("999999ns", 0),
            ("+3s", 3_000),
            ("-0s", 0),
            (".5s", 500),
        ] {
            assert_eq!(go_duration_millis(text), Some(millis), "{}", text);
        }
        for bad in ["", "5", "s", "1.2.3s", "1d", "-5s", "5 s", "1e3s", "."] {
            assert_eq!(go_duration_millis(bad), None, "{:?}", bad);
        }
    }

    #[test]
    fn defaults_are_daprds() {
        assert_eq!(settings(&[]).unwrap(), Settings::default());
        assert_eq!(Settings::default().processing_timeout_ms, 60_000);
        assert_eq!(Settings::default().redeliver_interval_ms, 15_000);
    }

    #[test]
    fn reads_every_setting_in_any_letter_case() {
        let s = settings(&[
            ("consumerID", "orders"),
            ("PROCESSINGTIMEOUT", "2500"),
            ("redeliverInterval", "1m"),
            ("queueDepth", "7"),
            ("concurrency", "3"),
            ("maxLenApprox", "1000"),
        ])
        .unwrap();
        assert_eq!(
            s,
            Settings {
                consumer_id: Some("orders".into()),
                processing_timeout_ms: 2_500,
                redeliver_interval_ms: 60_000,
                queue_depth: 7,
                concurrency: 3,
                trim: Trim::MaxLenApprox(1000),
            }
        );
        assert_eq!(settings(&[("streamTTL", "1h")]).unwrap().trim, Trim::MaxAgeMillis(3_600_000));
        assert_eq!(settings(&[("streamTTL", "30")]).unwrap().trim, Trim::MaxAgeMillis(30_000));
        assert_eq!(settings(&[("maxLenApprox", "0")]).unwrap().trim, Trim::Never);
        assert_eq!(settings(&[("consumerID", " ")]).unwrap().consumer_id, None);
    }

    #[test]
    fn bad_settings_are_named() {
        for (pairs, named) in [
            (vec![("processingTimeout", "soon")], "'processingTimeout'"),
            (vec![("processingTimeout", "0")], "'processingTimeout'"),
            (vec![("redeliverInterval", "0s")], "'redeliverInterval'"),
            (vec![("queueDepth", "0")], "'queueDepth'"),
            (vec![("concurrency", "-1")], "'concurrency'"),
            (vec![("maxLenApprox", "many")], "'maxLenApprox'"),
            (vec![("streamTTL", "1 day")], "'streamTTL'"),
            (vec![("maxLenApprox", "10"), ("streamTTL", "1h")], "exclusive"),
        ] {
            let err = settings(&pairs).unwrap_err();
            assert!(matches!(err, Error::InvalidArgument(ref m) if m.contains(named)), "{:?}: {:?}", pairs, err);
        }
    }
}
