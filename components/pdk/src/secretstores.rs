//! Secret stores: the contract's messages (generated from `proto/secretstores/secretstores.proto`), the
//! [`SecretStore`] trait a component implements, and [`export_secret_store!`](crate::export_secret_store), which
//! exports it.
//!
//! ```ignore
//! use pillion_pdk::secretstores::*;
//! use pillion_pdk::{export_secret_store, Error, SecretStore};
//!
//! #[derive(Default)]
//! struct Vault { /* ... */ }
//!
//! impl SecretStore for Vault {
//!     fn features(&self) -> Vec<String> { vec![] }
//!     fn get_secret(&mut self, request: GetSecretRequest) -> Result<GetSecretResponse, Error> {
//!         Err(not_found(&request.name))
//!     }
//!     fn bulk_get_secret(&mut self, _: BulkGetSecretRequest) -> Result<BulkGetSecretResponse, Error> {
//!         Ok(BulkGetSecretResponse::default())
//!     }
//! }
//!
//! export_secret_store!(Vault);
//! ```

#![allow(missing_docs)]

include!(concat!(env!("OUT_DIR"), "/secretstores.rs"));

use crate::Error;

/// The feature of a store whose secrets may hold several keys (Dapr's `MULTIPLE_KEY_VALUES_PER_SECRET`).
pub const MULTIPLE_KEY_VALUES_PER_SECRET: &str = "MULTIPLE_KEY_VALUES_PER_SECRET";

/// The error of a secret the store does not have, worded as components-contrib's local stores word it
/// (`secret <name> not found`); the host maps the `NOT_FOUND` code to daprd's `ERR_SECRET_GET`.
pub fn not_found(name: &str) -> Error {
    Error::NotFound(format!("secret {} not found", name))
}

/// A secret store component (components-contrib's `secretstores.SecretStore`). Methods take `&mut self`: a Wasm
/// instance runs one call at a time.
pub trait SecretStore {
    /// Receives the component's name and metadata properties (once per instance, before any other call). An error
    /// here fails the component's load, so it should name what is wrong (the property, the file, the position).
    fn init(&mut self, metadata: Metadata) -> Result<(), Error> {
        let _ = metadata;
        Ok(())
    }

    /// The Dapr feature strings this store supports: [`MULTIPLE_KEY_VALUES_PER_SECRET`] or none.
    fn features(&self) -> Vec<String>;

    /// One secret's keys and values; a secret the store does not have is [`not_found`].
    fn get_secret(&mut self, request: GetSecretRequest) -> Result<GetSecretResponse, Error>;

    /// Every secret of the store, by name.
    fn bulk_get_secret(&mut self, request: BulkGetSecretRequest) -> Result<BulkGetSecretResponse, Error>;
}

/// Exports a [`SecretStore`] type (which must implement `Default`) as a secret store component:
/// `secretstore_api_version` and every `secretstore_<method>` of the contract. Use once per crate.
#[macro_export]
macro_rules! export_secret_store {
    ($store:ty) => {
        thread_local! {
            static PILLION_SECRET_STORE: ::core::cell::RefCell<$store> =
                ::core::cell::RefCell::new(<$store as ::core::default::Default>::default());
        }

        fn pillion_with_secret_store<R>(f: impl FnOnce(&mut $store) -> R) -> R {
            PILLION_SECRET_STORE.with(|store| f(&mut store.borrow_mut()))
        }

        #[no_mangle]
        pub extern "C" fn secretstore_api_version() -> u64 {
            $crate::abi::API_VERSION
        }

        #[no_mangle]
        pub unsafe extern "C" fn secretstore_init(ptr: u32, len: u32) -> u64 {
            $crate::abi::handle(ptr, len, |req: $crate::secretstores::InitRequest| {
                pillion_with_secret_store(|s| $crate::SecretStore::init(s, req.metadata.unwrap_or_default()))
                    .map(|_| $crate::secretstores::InitResponse {})
            })
        }

        #[no_mangle]
        pub unsafe extern "C" fn secretstore_features(ptr: u32, len: u32) -> u64 {
            $crate::abi::handle(ptr, len, |_: $crate::secretstores::FeaturesRequest| {
                Ok($crate::secretstores::FeaturesResponse {
                    features: pillion_with_secret_store(|s| $crate::SecretStore::features(s)),
                })
            })
        }

        #[no_mangle]
        pub unsafe extern "C" fn secretstore_get_secret(ptr: u32, len: u32) -> u64 {
            $crate::abi::handle(ptr, len, |req| pillion_with_secret_store(|s| $crate::SecretStore::get_secret(s, req)))
        }

        #[no_mangle]
        pub unsafe extern "C" fn secretstore_bulk_get_secret(ptr: u32, len: u32) -> u64 {
            $crate::abi::handle(ptr, len, |req| {
                pillion_with_secret_store(|s| $crate::SecretStore::bulk_get_secret(s, req))
            })
        }
    };
}
