//! # Pillion PDK
//!
//! Write Pillion components in Rust. Implement [`StateStore`], then call [`export_state_store!`]: the macro
//! generates every export the host needs (`store_api_version`, `store_init`, `store_get`, ...), decodes requests,
//! encodes responses and errors, and manages the ABI's memory rules (see `docs/abi.md`).
//!
//! ```ignore
//! use pillion_pdk::{export_state_store, state, Error, StateStore};
//!
//! #[derive(Default)]
//! struct Store { /* ... */ }
//!
//! impl StateStore for Store {
//!     fn features(&self) -> Vec<String> { vec!["ETAG".into()] }
//!     fn get(&mut self, req: state::GetRequest) -> Result<state::GetResponse, Error> { todo!() }
//!     // set, delete ...
//! }
//!
//! export_state_store!(Store);
//! ```
//!
//! Pub/sub components implement [`PubSubComponent`] and call [`export_pubsub!`]; secret stores implement
//! [`SecretStore`] and call [`export_secret_store!`] (see [`secretstores`]).
//!
//! The component crate is a `cdylib` built for `wasm32-wasi` whose `build.rs` exports wasi-libc's `malloc` and
//! `free` (see this crate's README.md).

pub mod abi;
mod error;
pub mod keyvalue;
pub mod log;
pub mod metadata;
mod pubsub_component;
pub mod redis;
pub mod secretstores;

pub use error::Error;
pub use pubsub_component::PubSubComponent;
pub use secretstores::SecretStore;

/// The pub/sub contract's messages, generated from `proto/pubsub/pubsub.proto`.
#[allow(missing_docs)]
pub mod pubsub {
    include!(concat!(env!("OUT_DIR"), "/pubsub.rs"));
}

/// The key-value capability's messages, generated from `proto/keyvalue/keyvalue.proto`.
#[allow(missing_docs)]
pub mod keyvalue_messages {
    include!(concat!(env!("OUT_DIR"), "/keyvalue.rs"));
}

/// The Redis capability's messages, generated from `proto/redis/redis.proto`.
#[allow(missing_docs)]
pub mod redis_messages {
    include!(concat!(env!("OUT_DIR"), "/redis.rs"));
}

/// The state contract's messages, generated from `proto/state/state.proto`.
#[allow(missing_docs)]
pub mod state {
    include!(concat!(env!("OUT_DIR"), "/state.rs"));
}

use state::*;

impl BulkGetItem {
    /// The bulk item of one key: its value, or the error of reading it.
    pub fn from_get(key: String, result: Result<GetResponse, Error>) -> BulkGetItem {
        match result {
            Ok(r) => BulkGetItem {
                key,
                data: r.data,
                etag: r.etag,
                metadata: r.metadata,
                content_type: r.content_type,
                error: String::new(),
            },
            Err(e) => BulkGetItem { key, error: e.to_abi_message(), ..Default::default() },
        }
    }
}

/// A state store component. Methods take `&mut self`: a Wasm instance runs one call at a time.
///
/// Keys arrive with the host's key prefix already applied. A missing key is a [`GetResponse`] with empty data and
/// etag. Bulk methods default to loops over the single ones (not atomic); override them to be atomic.
pub trait StateStore {
    /// Receives the component's name and metadata properties (once per instance, before any other call).
    fn init(&mut self, metadata: Metadata) -> Result<(), Error> {
        let _ = metadata;
        Ok(())
    }

    /// The Dapr feature strings this store supports: `ETAG`, `TRANSACTIONAL`, `TTL`, ...
    fn features(&self) -> Vec<String>;

    /// Reads one key.
    fn get(&mut self, request: GetRequest) -> Result<GetResponse, Error>;

    /// An optional fast path for [`StateStore::get`]: the encoded `GetResponse` of the key, when the store keeps
    /// its items pre-encoded, so a read is one copy. `Ok(None)` (the default) falls back to `get`.
    fn get_encoded(&mut self, request: &GetRequest) -> Result<Option<&[u8]>, Error> {
        let _ = request;
        Ok(None)
    }

    /// Writes one key.
    fn set(&mut self, request: SetRequest) -> Result<(), Error>;

    /// Deletes one key; deleting a missing key without an etag succeeds.
    fn delete(&mut self, request: DeleteRequest) -> Result<(), Error>;

    /// Reads many keys, one item per request item, in order.
    fn bulk_get(&mut self, request: BulkGetRequest) -> Result<BulkGetResponse, Error> {
        let mut items = Vec::with_capacity(request.items.len());
        for get in request.items {
            let key = get.key.clone();
            items.push(BulkGetItem::from_get(key, self.get(get)));
        }
        Ok(BulkGetResponse { items })
    }

    /// Writes many keys. The default stops at the first failure and is not atomic.
    fn bulk_set(&mut self, request: BulkSetRequest) -> Result<(), Error> {
        request.items.into_iter().try_for_each(|set| self.set(set))
    }

    /// Deletes many keys. The default stops at the first failure and is not atomic.
    fn bulk_delete(&mut self, request: BulkDeleteRequest) -> Result<(), Error> {
        request.items.into_iter().try_for_each(|delete| self.delete(delete))
    }

    /// Runs a transaction, all or nothing. Unsupported unless overridden.
    fn transact(&mut self, request: TransactRequest) -> Result<(), Error> {
        let _ = request;
        Err(Error::NotSupported("transactions are not supported by this component".into()))
    }

    /// Checks the store (and its backend) is reachable.
    fn ping(&mut self) -> Result<(), Error> {
        Ok(())
    }
}

/// Exports a [`StateStore`] type (which must implement `Default`) as a state component: `store_api_version` and
/// every `store_<method>` of the contract. Use once per crate.
#[macro_export]
macro_rules! export_state_store {
    ($store:ty) => {
        thread_local! {
            static PILLION_STORE: ::core::cell::RefCell<$store> =
                ::core::cell::RefCell::new(<$store as ::core::default::Default>::default());
        }

        fn pillion_with_store<R>(f: impl FnOnce(&mut $store) -> R) -> R {
            PILLION_STORE.with(|store| f(&mut store.borrow_mut()))
        }

        #[no_mangle]
        pub extern "C" fn store_api_version() -> u64 {
            $crate::abi::API_VERSION
        }

        #[no_mangle]
        pub unsafe extern "C" fn store_init(ptr: u32, len: u32) -> u64 {
            $crate::abi::handle(ptr, len, |req: $crate::state::InitRequest| {
                pillion_with_store(|s| $crate::StateStore::init(s, req.metadata.unwrap_or_default()))
                    .map(|_| $crate::state::InitResponse {})
            })
        }

        #[no_mangle]
        pub unsafe extern "C" fn store_features(ptr: u32, len: u32) -> u64 {
            $crate::abi::handle(ptr, len, |_: $crate::state::FeaturesRequest| {
                Ok($crate::state::FeaturesResponse {
                    features: pillion_with_store(|s| $crate::StateStore::features(s)),
                })
            })
        }

        #[no_mangle]
        pub unsafe extern "C" fn store_get(ptr: u32, len: u32) -> u64 {
            let req: $crate::state::GetRequest =
                match $crate::abi::key_only_get_request($crate::abi::request(ptr, len)) {
                    Some(req) => req,
                    None => match $crate::abi::decode(ptr, len) {
                        Ok(req) => req,
                        Err(packed_error) => return packed_error,
                    },
                };
            pillion_with_store(|s| {
                match $crate::StateStore::get_encoded(s, &req) {
                    Ok(Some(encoded)) => return $crate::abi::respond_bytes(encoded),
                    Ok(None) => {}
                    Err(e) => return $crate::abi::error(&e),
                }
                match $crate::StateStore::get(s, req) {
                    Ok(response) => $crate::abi::respond(&response),
                    Err(e) => $crate::abi::error(&e),
                }
            })
        }

        #[no_mangle]
        pub unsafe extern "C" fn store_set(ptr: u32, len: u32) -> u64 {
            $crate::abi::handle(ptr, len, |req| {
                pillion_with_store(|s| $crate::StateStore::set(s, req)).map(|_| $crate::state::SetResponse {})
            })
        }

        #[no_mangle]
        pub unsafe extern "C" fn store_delete(ptr: u32, len: u32) -> u64 {
            $crate::abi::handle(ptr, len, |req| {
                pillion_with_store(|s| $crate::StateStore::delete(s, req)).map(|_| $crate::state::DeleteResponse {})
            })
        }

        #[no_mangle]
        pub unsafe extern "C" fn store_bulk_get(ptr: u32, len: u32) -> u64 {
            $crate::abi::handle(ptr, len, |req| pillion_with_store(|s| $crate::StateStore::bulk_get(s, req)))
        }

        #[no_mangle]
        pub unsafe extern "C" fn store_bulk_set(ptr: u32, len: u32) -> u64 {
            $crate::abi::handle(ptr, len, |req| {
                pillion_with_store(|s| $crate::StateStore::bulk_set(s, req))
                    .map(|_| $crate::state::BulkSetResponse {})
            })
        }

        #[no_mangle]
        pub unsafe extern "C" fn store_bulk_delete(ptr: u32, len: u32) -> u64 {
            $crate::abi::handle(ptr, len, |req| {
                pillion_with_store(|s| $crate::StateStore::bulk_delete(s, req))
                    .map(|_| $crate::state::BulkDeleteResponse {})
            })
        }

        #[no_mangle]
        pub unsafe extern "C" fn store_transact(ptr: u32, len: u32) -> u64 {
            $crate::abi::handle(ptr, len, |req| {
                pillion_with_store(|s| $crate::StateStore::transact(s, req))
                    .map(|_| $crate::state::TransactResponse {})
            })
        }

        #[no_mangle]
        pub unsafe extern "C" fn store_ping(ptr: u32, len: u32) -> u64 {
            $crate::abi::handle(ptr, len, |_: $crate::state::PingRequest| {
                pillion_with_store(|s| $crate::StateStore::ping(s)).map(|_| $crate::state::PingResponse {})
            })
        }
    };
}
