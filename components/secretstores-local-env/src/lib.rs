//! `secretstores.local.env`: secrets from environment variables, as components-contrib's `secretstores/local/env`
//! serves them, read through WASI's environment.
//!
//! Metadata: `prefix` (optional, name in any letter case). With a prefix, a secret `name` is the variable
//! `<prefix><name>`, and the bulk read lists only variables longer than the prefix that start with it
//! (case-sensitive, as Dapr on Linux and macOS), with the prefix removed from their names.
//!
//! As in Dapr: a variable that is not set reads as an empty value (not an error); `APP_API_TOKEN` and names starting
//! with `DAPR_` (in any letter case) are never served (a get answers an empty value and logs a warning). The host
//! passes the guest only the variables the component may serve; the guest applies the prefix again, so it is correct
//! whatever environment it is given.

use pillion_pdk::log;
use pillion_pdk::metadata::Properties;
use pillion_pdk::secretstores::*;
use pillion_pdk::{export_secret_store, Error, SecretStore};
use std::collections::HashMap;

/// The metadata property naming the variables' prefix.
pub const PREFIX: &str = "prefix";

/// The component, generic over where the variables come from so the unit tests can give it any environment.
pub struct LocalEnvSecretStore<E: Environment = WasiEnvironment> {
    prefix: String,
    environment: E,
}

impl Default for LocalEnvSecretStore<WasiEnvironment> {
    fn default() -> Self {
        LocalEnvSecretStore { prefix: String::new(), environment: WasiEnvironment }
    }
}

/// The variables a store reads.
pub trait Environment {
    /// One variable's value, `None` when not set.
    fn get(&self, name: &str) -> Option<String>;
    /// Every variable, as name and value.
    fn all(&self) -> Vec<(String, String)>;
}

/// The guest's WASI environment (what the host granted).
pub struct WasiEnvironment;

impl Environment for WasiEnvironment {
    fn get(&self, name: &str) -> Option<String> {
        // A name that is empty or holds '=' or NUL is not a variable (std would panic on it).
        if name.is_empty() || name.contains('=') || name.contains('\0') {
            return None;
        }
        std::env::var_os(name).map(|value| value.to_string_lossy().into_owned())
    }

    fn all(&self) -> Vec<(String, String)> {
        std::env::vars_os()
            .map(|(name, value)| (name.to_string_lossy().into_owned(), value.to_string_lossy().into_owned()))
            .collect()
    }
}

/// Whether Dapr lets the env store serve a variable: not `APP_API_TOKEN`, nothing starting with `DAPR_` (both in any
/// letter case), so the sidecar's own settings and tokens never leak through the secrets API.
pub fn is_allowed(variable: &str) -> bool {
    let upper = variable.to_uppercase();
    upper != "APP_API_TOKEN" && !upper.starts_with("DAPR_")
}

impl<E: Environment> LocalEnvSecretStore<E> {
    /// A store over the given environment, not yet initialised (no prefix).
    pub fn with_environment(environment: E) -> LocalEnvSecretStore<E> {
        LocalEnvSecretStore { prefix: String::new(), environment }
    }
}

impl<E: Environment> SecretStore for LocalEnvSecretStore<E> {
    fn init(&mut self, metadata: Metadata) -> Result<(), Error> {
        let properties = Properties::new(&metadata.properties)?;
        self.prefix = properties.get(PREFIX).unwrap_or_default().to_string();
        Ok(())
    }

    fn features(&self) -> Vec<String> {
        Vec::new()
    }

    fn get_secret(&mut self, request: GetSecretRequest) -> Result<GetSecretResponse, Error> {
        let variable = format!("{}{}", self.prefix, request.name);
        let value = if is_allowed(&variable) {
            self.environment.get(&variable).unwrap_or_default()
        } else {
            log::warn(&format!("access to environment variable {} is forbidden", request.name));
            String::new()
        };
        let mut data = HashMap::with_capacity(1);
        data.insert(request.name, value);
        Ok(GetSecretResponse { data })
    }

    fn bulk_get_secret(&mut self, _request: BulkGetSecretRequest) -> Result<BulkGetSecretResponse, Error> {
        let prefix = self.prefix.as_str();
        let data = self
            .environment
            .all()
            .into_iter()
            .filter(|(variable, _)| {
                prefix.is_empty() || (variable.len() > prefix.len() && variable.starts_with(prefix))
            })
            .filter(|(variable, _)| is_allowed(variable))
            .map(|(variable, value)| {
                let name = variable[prefix.len()..].to_string();
                let mut secrets = HashMap::with_capacity(1);
                secrets.insert(name.clone(), value);
                (name, SecretResponse { secrets })
            })
            .collect();
        Ok(BulkGetSecretResponse { data })
    }
}

export_secret_store!(LocalEnvSecretStore);

#[cfg(test)]
mod tests;
