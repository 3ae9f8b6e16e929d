//! `secretstores.local.file`: secrets from a JSON file, as components-contrib's `secretstores/local/file` serves
//! them.
//!
//! Metadata (names in any letter case, as Dapr reads them):
//! - `secretsFile` (required): the file, as the guest sees it. The host preopens the directory of the user's file,
//!   read-only, at [`GUEST_DIRECTORY`] and passes `/secrets/<file name>` here (docs/abi.md); the component itself
//!   opens whatever path it is given, so it works under any host that grants the file.
//! - `nestedSeparator` (default `:`): joins the keys of nested objects (and array indexes) into secret names.
//! - `multiValued` (default false, Dapr's truthy strings): the top-level keys are the secrets, each with the flattened
//!   keys of its object as its keys (feature `MULTIPLE_KEY_VALUES_PER_SECRET`).
//!
//! The file is read once, when the instance is initialised. Values that are not strings read as Go's `%s` prints
//! them, as in Dapr (`%!s(float64=8080)`, `%!s(bool=true)`, `%!s(<nil>)`): see [`go_sprint_s`].

pub mod json;

use json::Value;
use pillion_pdk::log;
use pillion_pdk::metadata::Properties;
use pillion_pdk::secretstores::*;
use pillion_pdk::{export_secret_store, Error, SecretStore};
use std::collections::HashMap;

/// Where the host preopens the secrets file's directory, read-only.
pub const GUEST_DIRECTORY: &str = "/secrets";
/// The metadata property naming the file.
pub const SECRETS_FILE: &str = "secretsFile";
/// The metadata property joining nested keys.
pub const NESTED_SEPARATOR: &str = "nestedSeparator";
/// The metadata property that makes top-level keys secrets with several keys.
pub const MULTI_VALUED: &str = "multiValued";
const DEFAULT_SEPARATOR: &str = ":";

/// One secret of a multi-valued store: a top-level string, or the flattened keys of a top-level object.
#[derive(Debug, Clone, PartialEq)]
enum Secret {
    Single(String),
    Keys(HashMap<String, String>),
}

/// The secrets, as loaded from the file.
#[derive(Debug, Clone, PartialEq)]
enum Secrets {
    /// Every leaf under its flattened name; each secret has one key, its name.
    Flat(HashMap<String, String>),
    /// `multiValued`: secrets by top-level key.
    MultiValued(HashMap<String, Secret>),
}

impl Default for Secrets {
    fn default() -> Secrets {
        Secrets::Flat(HashMap::new())
    }
}

/// The component. Holds the file's secrets in the instance: they are a copy of the file, which the host keeps
/// granting, so a replaced instance reads it again.
#[derive(Default)]
pub struct LocalFileSecretStore {
    secrets: Secrets,
}

impl LocalFileSecretStore {
    /// Loads the secrets from the JSON text of `file` (the name is for messages).
    pub fn load(&mut self, file: &str, text: &[u8], separator: &str, multi_valued: bool) -> Result<(), Error> {
        let document = json::parse(text)
            .map_err(|e| Error::Internal(format!("secrets file {} is not valid JSON: {}", file, e)))?;
        let members = match document {
            Value::Object(members) => members,
            // Go decodes `null` into a nil map without complaint: a store with no secrets.
            Value::Null => Vec::new(),
            other => {
                return Err(Error::Internal(format!(
                    "secrets file {}: the top-level value is {}, not an object of secrets",
                    file,
                    other.kind()
                )))
            }
        };
        self.secrets = if multi_valued {
            let mut secrets = HashMap::with_capacity(members.len());
            for (name, value) in members {
                match value {
                    Value::String(text) => {
                        secrets.insert(name, Secret::Single(text));
                    }
                    Value::Object(nested) => {
                        let mut keys = HashMap::new();
                        let mut path = Vec::new();
                        flatten_members(&nested, &mut path, separator, &mut keys).map_err(|key| {
                            Error::Internal(format!(
                                "secrets file {}: secret '{}' has two entries named '{}' once nested keys are joined \
                                 with '{}'",
                                file, name, key, separator
                            ))
                        })?;
                        secrets.insert(name, Secret::Keys(keys));
                    }
                    other => {
                        // Dapr drops these without a word; say so once, or the secret just seems to vanish.
                        log::warn(&format!(
                            "secrets file {}: secret '{}' is {}, neither a string nor an object, and is skipped (as \
                             Dapr's multiValued file store does)",
                            file,
                            name,
                            other.kind()
                        ));
                    }
                }
            }
            Secrets::MultiValued(secrets)
        } else {
            let mut secrets = HashMap::new();
            let mut path = Vec::new();
            flatten_members(&members, &mut path, separator, &mut secrets).map_err(|key| {
                Error::Internal(format!(
                    "secrets file {}: two entries are named '{}' once nested keys are joined with '{}'",
                    file, key, separator
                ))
            })?;
            Secrets::Flat(secrets)
        };
        Ok(())
    }
}

/// Adds every leaf under `members` to `out`, named by its path joined with `separator`; `Err` names a path that two
/// leaves share (`{"a:b": "1", "a": {"b": "2"}}`).
fn flatten_members(
    members: &[(String, Value)],
    path: &mut Vec<String>,
    separator: &str,
    out: &mut HashMap<String, String>,
) -> Result<(), String> {
    for (key, value) in members {
        path.push(key.clone());
        let result = flatten(value, path, separator, out);
        path.pop();
        result?;
    }
    Ok(())
}

fn flatten(
    value: &Value,
    path: &mut Vec<String>,
    separator: &str,
    out: &mut HashMap<String, String>,
) -> Result<(), String> {
    match value {
        Value::Object(members) => flatten_members(members, path, separator, out),
        Value::Array(elements) => {
            for (index, element) in elements.iter().enumerate() {
                path.push(index.to_string());
                let result = flatten(element, path, separator, out);
                path.pop();
                result?;
            }
            Ok(())
        }
        leaf => {
            let name = path.join(separator);
            if out.contains_key(&name) {
                return Err(name);
            }
            out.insert(name, go_sprint_s(leaf));
            Ok(())
        }
    }
}

/// A leaf as Go's `fmt.Sprintf("%s", v)` prints the value `encoding/json` decoded, which is how Dapr's file store
/// turns it into a secret: strings as they are, anything else through Go's "bad verb" form.
pub fn go_sprint_s(value: &Value) -> String {
    match value {
        Value::String(text) => text.clone(),
        Value::Bool(b) => format!("%!s(bool={})", b),
        Value::Number(n) => format!("%!s(float64={})", go_format_float(*n)),
        Value::Null => "%!s(<nil>)".to_string(),
        Value::Array(_) | Value::Object(_) => unreachable!("only leaves are printed"),
    }
}

/// A float as Go's `%v` prints it (`strconv.FormatFloat(f, 'g', -1, 64)`): the shortest digits that read back as the
/// same number, in exponent form (`1e+06`, `1.5e-05`) when the decimal exponent is below -4 or at least 6.
pub fn go_format_float(number: f64) -> String {
    let sign = if number.is_sign_negative() { "-" } else { "" };
    // Rust's `{:e}` gives the same shortest round-trip digits: `1.234567e6`.
    let scientific = format!("{:e}", number.abs());
    let (mantissa, exponent) = scientific.split_once('e').expect("{:e} has an exponent");
    let exponent: i32 = exponent.parse().expect("{:e} has an integer exponent");
    let digits: String = mantissa.chars().filter(|c| *c != '.').collect();
    if exponent < -4 || exponent >= 6 {
        let (first, rest) = digits.split_at(1);
        let fraction = if rest.is_empty() { String::new() } else { format!(".{}", rest) };
        let exponent_sign = if exponent < 0 { '-' } else { '+' };
        format!("{}{}{}e{}{:02}", sign, first, fraction, exponent_sign, exponent.abs())
    } else if exponent < 0 {
        format!("{}0.{}{}", sign, "0".repeat((-exponent - 1) as usize), digits)
    } else {
        let integer_digits = exponent as usize + 1;
        if digits.len() <= integer_digits {
            format!("{}{}{}", sign, digits, "0".repeat(integer_digits - digits.len()))
        } else {
            format!("{}{}.{}", sign, &digits[..integer_digits], &digits[integer_digits..])
        }
    }
}

fn single(name: &str, value: &str) -> HashMap<String, String> {
    let mut data = HashMap::with_capacity(1);
    data.insert(name.to_string(), value.to_string());
    data
}

impl SecretStore for LocalFileSecretStore {
    fn init(&mut self, metadata: Metadata) -> Result<(), Error> {
        let properties = Properties::new(&metadata.properties)?;
        let file = match properties.get(SECRETS_FILE) {
            Some(file) if !file.is_empty() => file,
            // Dapr's words, plus the property's name.
            _ => {
                return Err(Error::InvalidArgument(format!(
                    "missing local secrets file in metadata (property '{}')",
                    SECRETS_FILE
                )))
            }
        };
        let separator = match properties.get(NESTED_SEPARATOR) {
            Some(separator) if !separator.is_empty() => separator,
            _ => DEFAULT_SEPARATOR,
        };
        let text =
            std::fs::read(file).map_err(|e| Error::Internal(format!("secrets file {} cannot be read: {}", file, e)))?;
        self.load(file, &text, separator, properties.flag(MULTI_VALUED))
    }

    fn features(&self) -> Vec<String> {
        match self.secrets {
            Secrets::MultiValued(_) => vec![MULTIPLE_KEY_VALUES_PER_SECRET.to_string()],
            Secrets::Flat(_) => Vec::new(),
        }
    }

    fn get_secret(&mut self, request: GetSecretRequest) -> Result<GetSecretResponse, Error> {
        let data = match &self.secrets {
            Secrets::Flat(secrets) => secrets.get(&request.name).map(|value| single(&request.name, value)),
            Secrets::MultiValued(secrets) => secrets.get(&request.name).map(|secret| match secret {
                Secret::Single(value) => single(&request.name, value),
                Secret::Keys(keys) => keys.clone(),
            }),
        };
        data.map(|data| GetSecretResponse { data }).ok_or_else(|| not_found(&request.name))
    }

    fn bulk_get_secret(&mut self, _request: BulkGetSecretRequest) -> Result<BulkGetSecretResponse, Error> {
        let data = match &self.secrets {
            Secrets::Flat(secrets) => secrets
                .iter()
                .map(|(name, value)| (name.clone(), SecretResponse { secrets: single(name, value) }))
                .collect(),
            Secrets::MultiValued(secrets) => secrets
                .iter()
                .map(|(name, secret)| {
                    let keys = match secret {
                        Secret::Single(value) => single(name, value),
                        Secret::Keys(keys) => keys.clone(),
                    };
                    (name.clone(), SecretResponse { secrets: keys })
                })
                .collect(),
        };
        Ok(BulkGetSecretResponse { data })
    }
}

export_secret_store!(LocalFileSecretStore);

#[cfg(test)]
mod tests;
