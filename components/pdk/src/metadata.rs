//! Metadata as Dapr reads it: a component's properties (names in any letter case, Dapr's truthy flags) and the
//! request metadata Dapr defines for state, parsed with Dapr's rules and messages.

use crate::Error;
use std::collections::HashMap;

/// Time to live in seconds; -1 means none.
pub const TTL_IN_SECONDS: &str = "ttlInSeconds";
/// RFC 3339 expiry returned with items that have a TTL.
pub const TTL_EXPIRE_TIME: &str = "ttlExpireTime";

/// Parses `ttlInSeconds`: `None` when absent or empty, an error unless it is an integer of -1 or more.
pub fn ttl_seconds(metadata: &HashMap<String, String>) -> Result<Option<i64>, Error> {
    let value = match metadata.get(TTL_IN_SECONDS) {
        Some(v) if !v.is_empty() => v,
        _ => return Ok(None),
    };
    let ttl: i64 = value.parse().map_err(|_| {
        Error::InvalidArgument(format!(
            "incorrect value for metadata '{}': '{}' is not an integer",
            TTL_IN_SECONDS, value
        ))
    })?;
    if ttl < -1 {
        return Err(Error::InvalidArgument(format!(
            "incorrect value for metadata '{}': must be -1 or greater, got {}",
            TTL_IN_SECONDS, ttl
        )));
    }
    Ok(Some(ttl))
}

/// A component's metadata properties, looked up by name in any letter case: Dapr decodes component metadata into
/// its Go structs that way (`secretsFile`, `secretsfile` and `SECRETSFILE` are one property).
#[derive(Debug, Clone)]
pub struct Properties<'a> {
    by_lower_case_name: HashMap<String, &'a str>,
}

impl<'a> Properties<'a> {
    /// Indexes the properties; two names that differ only in letter case are an error naming them, as in Dapr
    /// (whose decoder refuses them rather than pick one).
    pub fn new(properties: &'a HashMap<String, String>) -> Result<Properties<'a>, Error> {
        let names = sorted_names(properties);
        let mut by_lower_case_name = HashMap::with_capacity(properties.len());
        let mut original: HashMap<String, &String> = HashMap::with_capacity(properties.len());
        for name in names {
            index_name(properties, name, &mut by_lower_case_name, &mut original)?;
        }
        Ok(Properties { by_lower_case_name })
    }

    /// The value of a property, whatever the letter case of its name in the metadata.
    pub fn get(&self, name: &str) -> Option<&'a str> {
        self.by_lower_case_name.get(&name.to_lowercase()).copied()
    }

    /// A boolean property as Dapr reads one: true for a truthy value ([`is_truthy`]), false when absent or anything
    /// else.
    pub fn flag(&self, name: &str) -> bool {
        self.get(name).map_or(false, is_truthy)
    }
}

/// The names, sorted so that an error names the same pair whatever the map's order. Apart from
/// [`Properties::new`], and never inlined, so that no Wasm function of a component grows past what the JVM compiles
/// (docs/decisions.md, "Guest functions stay small").
#[inline(never)]
fn sorted_names(properties: &HashMap<String, String>) -> Vec<&String> {
    let mut names: Vec<&String> = properties.keys().collect();
    names.sort();
    names
}

/// Indexes one property by its lower-case name; an error if another name differs from it only in letter case.
#[inline(never)]
fn index_name<'a>(
    properties: &'a HashMap<String, String>,
    name: &'a String,
    by_lower_case_name: &mut HashMap<String, &'a str>,
    original: &mut HashMap<String, &'a String>,
) -> Result<(), Error> {
    let lower = name.to_lowercase();
    if let Some(first) = original.get(&lower) {
        return Err(Error::InvalidArgument(format!(
            "metadata properties '{}' and '{}' are the same property (names are not case-sensitive)",
            first, name
        )));
    }
    original.insert(lower.clone(), name);
    by_lower_case_name.insert(lower, properties[name].as_str());
    Ok(())
}

/// Dapr's truthy strings (dapr/kit `IsTruthy`): `y`, `yes`, `true`, `t`, `on`, `1` in any letter case, surrounding
/// white space ignored.
pub fn is_truthy(value: &str) -> bool {
    matches!(value.trim().to_lowercase().as_str(), "y" | "yes" | "true" | "t" | "on" | "1")
}

/// Formats Unix seconds as RFC 3339 in UTC with whole seconds, as Dapr does: `2026-11-24T20:13:49Z`.
pub fn rfc3339_utc(unix_seconds: i64) -> String {
    let days = unix_seconds.div_euclid(86_400);
    let second_of_day = unix_seconds.rem_euclid(86_400);
    let (year, month, day) = civil_from_days(days);
    format!(
        "{:04}-{:02}-{:02}T{:02}:{:02}:{:02}Z",
        year,
        month,
        day,
        second_of_day / 3600,
        second_of_day % 3600 / 60,
        second_of_day % 60
    )
}

/// Days since 1970-01-01 to a proleptic Gregorian date (Howard Hinnant's algorithm).
fn civil_from_days(days: i64) -> (i64, u32, u32) {
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = (doy - (153 * mp + 2) / 5 + 1) as u32;
    let month = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
    let year = yoe + era * 400 + if month <= 2 { 1 } else { 0 };
    (year, month, day)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn meta(value: &str) -> HashMap<String, String> {
        let mut m = HashMap::new();
        m.insert(TTL_IN_SECONDS.to_string(), value.to_string());
        m
    }

    #[test]
    fn parses_ttl_like_dapr() {
        assert_eq!(ttl_seconds(&HashMap::new()), Ok(None));
        assert_eq!(ttl_seconds(&meta("")), Ok(None));
        assert_eq!(ttl_seconds(&meta("10")), Ok(Some(10)));
        assert_eq!(ttl_seconds(&meta("-1")), Ok(Some(-1)));
        assert!(matches!(ttl_seconds(&meta("-2")), Err(Error::InvalidArgument(m)) if m.contains("-1 or greater")));
        assert!(matches!(ttl_seconds(&meta("soon")), Err(Error::InvalidArgument(m)) if m.contains("not an integer")));
        assert!(ttl_seconds(&meta("1.5")).is_err());
    }

    #[test]
    fn properties_are_found_in_any_case() {
        let mut m = HashMap::new();
        m.insert("secretsFile".to_string(), "/secrets/s.json".to_string());
        m.insert("MULTIVALUED".to_string(), " On ".to_string());
        let properties = Properties::new(&m).unwrap();
        assert_eq!(properties.get("secretsfile"), Some("/secrets/s.json"));
        assert_eq!(properties.get("SecretsFile"), Some("/secrets/s.json"));
        assert_eq!(properties.get("nestedSeparator"), None);
        assert!(properties.flag("multiValued"));
        assert!(!properties.flag("absent"));

        m.insert("secretsfile".to_string(), "/secrets/other.json".to_string());
        let error = Properties::new(&m).unwrap_err();
        assert_eq!(
            error,
            Error::InvalidArgument(
                "metadata properties 'secretsFile' and 'secretsfile' are the same property (names are not \
                 case-sensitive)"
                    .into()
            )
        );
    }

    #[test]
    fn truthy_like_dapr() {
        for yes in ["y", "YES", "true", "T", "on", "1", " true\n"] {
            assert!(is_truthy(yes), "{:?}", yes);
        }
        for no in ["", "false", "0", "no", "off", "truthy", "2", "enabled"] {
            assert!(!is_truthy(no), "{:?}", no);
        }
    }

    #[test]
    fn formats_rfc3339() {
        assert_eq!(rfc3339_utc(0), "1970-01-01T00:00:00Z");
        assert_eq!(rfc3339_utc(951_782_400), "2000-02-29T00:00:00Z");
        assert_eq!(rfc3339_utc(1_795_551_229), "2026-11-24T20:13:49Z");
        assert_eq!(rfc3339_utc(-1), "1969-12-31T23:59:59Z");
        assert_eq!(rfc3339_utc(4_102_444_800), "2100-01-01T00:00:00Z");
    }
}
