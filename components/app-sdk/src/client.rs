//! [`Dapr`]: the building blocks, called through the runtime's imports. Each method takes the request message of
//! the `Dapr` gRPC method of the same name and returns its response; shorthands cover the common cases.

use crate::error::DaprError;
use crate::host::{Host, Import, WasmHost};
use crate::proto::common::{self, http_extension::Verb, Etag, HttpExtension, StateItem, StateOptions};
use crate::proto::runtime::*;
use prost::Message;

/// A client of the runtime's building blocks. Its methods are never inlined into an app's handler: each encodes and
/// decodes protobuf, and a handler that grew past what the JVM compiles would run in its bytecode interpreter
/// (docs/decisions.md, "Guest functions stay small").
#[derive(Clone, Debug, Default)]
pub struct Dapr<H: Host = WasmHost> {
    host: H,
}

/// A state item as read: its value and etag.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct State {
    pub value: Vec<u8>,
    pub etag: Option<String>,
}

impl Dapr<WasmHost> {
    /// The client of the runtime hosting this module.
    pub fn host() -> Dapr<WasmHost> {
        Dapr { host: WasmHost }
    }
}

impl<H: Host> Dapr<H> {
    /// A client over another host (a fake, in tests).
    pub fn with_host(host: H) -> Dapr<H> {
        Dapr { host }
    }

    /// One import: encode, call, decode. Never inlined, so each shorthand stays small (docs/decisions.md, "Guest
    /// functions stay small").
    #[inline(never)]
    fn call<Req: Message, Resp: Message + Default>(&self, import: Import, request: &Req) -> Result<Resp, DaprError> {
        match self.host.call(import, &request.encode_to_vec()) {
            Ok(bytes) => Resp::decode(bytes.as_slice()).map_err(|e| {
                DaprError::internal(format!("{}: the runtime's response does not decode: {}", import.name(), e))
            }),
            Err(status) => Err(DaprError::from_status_bytes(&status)),
        }
    }

    /// `GetState`.
    #[inline(never)]
    pub fn get_state(&self, request: &GetStateRequest) -> Result<GetStateResponse, DaprError> {
        self.call(Import::GetState, request)
    }

    /// `GetBulkState`.
    #[inline(never)]
    pub fn get_bulk_state(&self, request: &GetBulkStateRequest) -> Result<GetBulkStateResponse, DaprError> {
        self.call(Import::GetBulkState, request)
    }

    /// `SaveState`.
    #[inline(never)]
    pub fn save_state(&self, request: &SaveStateRequest) -> Result<(), DaprError> {
        self.call::<_, ()>(Import::SaveState, request)
    }

    /// `DeleteState`.
    #[inline(never)]
    pub fn delete_state(&self, request: &DeleteStateRequest) -> Result<(), DaprError> {
        self.call::<_, ()>(Import::DeleteState, request)
    }

    /// `DeleteBulkState`.
    #[inline(never)]
    pub fn delete_bulk_state(&self, request: &DeleteBulkStateRequest) -> Result<(), DaprError> {
        self.call::<_, ()>(Import::DeleteBulkState, request)
    }

    /// `ExecuteStateTransaction`.
    #[inline(never)]
    pub fn execute_state_transaction(&self, request: &ExecuteStateTransactionRequest) -> Result<(), DaprError> {
        self.call::<_, ()>(Import::ExecuteStateTransaction, request)
    }

    /// `PublishEvent`.
    #[inline(never)]
    pub fn publish_event(&self, request: &PublishEventRequest) -> Result<(), DaprError> {
        self.call::<_, ()>(Import::PublishEvent, request)
    }

    /// `BulkPublishEventAlpha1`.
    #[inline(never)]
    pub fn bulk_publish_event(&self, request: &BulkPublishRequest) -> Result<BulkPublishResponse, DaprError> {
        self.call(Import::BulkPublishEvent, request)
    }

    /// `InvokeService`.
    #[inline(never)]
    pub fn invoke_service(&self, request: &InvokeServiceRequest) -> Result<common::InvokeResponse, DaprError> {
        self.call(Import::InvokeService, request)
    }

    /// `GetSecret`.
    #[inline(never)]
    pub fn get_secret(&self, request: &GetSecretRequest) -> Result<GetSecretResponse, DaprError> {
        self.call(Import::GetSecret, request)
    }

    /// `GetBulkSecret`.
    #[inline(never)]
    pub fn get_bulk_secret(&self, request: &GetBulkSecretRequest) -> Result<GetBulkSecretResponse, DaprError> {
        self.call(Import::GetBulkSecret, request)
    }

    /// `GetMetadata`.
    #[inline(never)]
    pub fn get_metadata(&self) -> Result<GetMetadataResponse, DaprError> {
        self.call(Import::GetMetadata, &GetMetadataRequest::default())
    }

    /// Reads a key: `None` when the store has no item for it (Dapr answers an empty value then).
    #[inline(never)]
    pub fn get(&self, store: &str, key: &str) -> Result<Option<State>, DaprError> {
        let response =
            self.get_state(&GetStateRequest { store_name: store.into(), key: key.into(), ..Default::default() })?;
        if response.data.is_empty() && response.etag.is_empty() {
            return Ok(None);
        }
        let etag = if response.etag.is_empty() { None } else { Some(response.etag) };
        Ok(Some(State { value: response.data, etag }))
    }

    /// Saves a value, last write wins.
    #[inline(never)]
    pub fn save(&self, store: &str, key: &str, value: &[u8]) -> Result<(), DaprError> {
        self.save_state(&SaveStateRequest {
            store_name: store.into(),
            states: vec![StateItem { key: key.into(), value: value.to_vec(), ..Default::default() }],
        })
    }

    /// Saves a value only if the item still has `etag` (first write wins); an etag mismatch is an `ABORTED` error.
    #[inline(never)]
    pub fn save_if(&self, store: &str, key: &str, value: &[u8], etag: &str) -> Result<(), DaprError> {
        self.save_state(&SaveStateRequest {
            store_name: store.into(),
            states: vec![StateItem {
                key: key.into(),
                value: value.to_vec(),
                etag: Some(Etag { value: etag.into() }),
                options: Some(StateOptions {
                    concurrency: common::state_options::StateConcurrency::ConcurrencyFirstWrite as i32,
                    ..Default::default()
                }),
                ..Default::default()
            }],
        })
    }

    /// Saves `value` only if the key has no item yet (first write wins); an existing item is an `ABORTED` error.
    #[inline(never)]
    pub fn save_new(&self, store: &str, key: &str, value: &[u8]) -> Result<(), DaprError> {
        self.save_state(&SaveStateRequest {
            store_name: store.into(),
            states: vec![StateItem {
                key: key.into(),
                value: value.to_vec(),
                options: Some(StateOptions {
                    concurrency: common::state_options::StateConcurrency::ConcurrencyFirstWrite as i32,
                    ..Default::default()
                }),
                ..Default::default()
            }],
        })
    }

    /// Changes a key's value with optimistic concurrency: reads it with its etag, saves `change(current)` only if no
    /// one wrote in between, and starts again when someone did (Dapr's `ABORTED` etag mismatch), at most `attempts`
    /// times. Returns the value saved.
    #[inline(never)]
    pub fn update(
        &self,
        store: &str,
        key: &str,
        attempts: u32,
        mut change: impl FnMut(Option<&[u8]>) -> Vec<u8>,
    ) -> Result<Vec<u8>, DaprError> {
        let mut last = None;
        for _ in 0..attempts.max(1) {
            let current = self.get(store, key)?;
            let next = change(current.as_ref().map(|state| state.value.as_slice()));
            let saved = match current.and_then(|state| state.etag) {
                Some(etag) => self.save_if(store, key, &next, &etag),
                None => self.save_new(store, key, &next),
            };
            match saved {
                Ok(()) => return Ok(next),
                Err(e) if e.code == crate::error::code::ABORTED => last = Some(e),
                Err(e) => return Err(e),
            }
        }
        Err(last.unwrap_or_else(|| DaprError::internal(format!("update of {} made no attempt", key))))
    }

    /// Adds one to a decimal counter kept under `key` (absent or not a number counts as 0), with
    /// [`update`](Dapr::update)'s retries; returns the new count.
    #[inline(never)]
    pub fn increment(&self, store: &str, key: &str) -> Result<u64, DaprError> {
        let saved = self.update(store, key, 100, |current| {
            let count = current
                .and_then(|bytes| std::str::from_utf8(bytes).ok())
                .and_then(|text| text.trim().parse::<u64>().ok())
                .unwrap_or(0);
            (count + 1).to_string().into_bytes()
        })?;
        Ok(String::from_utf8_lossy(&saved).parse().unwrap_or(0))
    }

    /// Deletes a key.
    #[inline(never)]
    pub fn delete(&self, store: &str, key: &str) -> Result<(), DaprError> {
        self.delete_state(&DeleteStateRequest { store_name: store.into(), key: key.into(), ..Default::default() })
    }

    /// Publishes `data` with its content type (a CloudEvent is made around it unless it is one).
    #[inline(never)]
    pub fn publish(&self, pubsub: &str, topic: &str, data: &[u8], content_type: &str) -> Result<(), DaprError> {
        self.publish_event(&PublishEventRequest {
            pubsub_name: pubsub.into(),
            topic: topic.into(),
            data: data.to_vec(),
            data_content_type: content_type.into(),
            ..Default::default()
        })
    }

    /// Invokes `method` of app `app_id` over HTTP semantics (`verb`, e.g. `Verb::Post`).
    #[inline(never)]
    pub fn invoke(
        &self,
        app_id: &str,
        method: &str,
        verb: Verb,
        data: &[u8],
        content_type: &str,
    ) -> Result<common::InvokeResponse, DaprError> {
        self.invoke_service(&InvokeServiceRequest {
            id: app_id.into(),
            message: Some(common::InvokeRequest {
                method: method.into(),
                data: Some(prost_types::Any { type_url: String::new(), value: data.to_vec() }),
                content_type: content_type.into(),
                http_extension: Some(HttpExtension { verb: verb as i32, querystring: String::new() }),
            }),
        })
    }

    /// A secret's values by name.
    #[inline(never)]
    pub fn secret(&self, store: &str, key: &str) -> Result<std::collections::HashMap<String, String>, DaprError> {
        Ok(self
            .get_secret(&GetSecretRequest { store_name: store.into(), key: key.into(), ..Default::default() })?
            .data)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::error::code;
    use crate::proto::rpc::Status;
    use std::cell::RefCell;

    /// Records every call and answers from a script.
    #[derive(Default)]
    struct FakeHost {
        calls: RefCell<Vec<(Import, Vec<u8>)>>,
        answers: RefCell<Vec<Result<Vec<u8>, Vec<u8>>>>,
    }

    impl Host for &FakeHost {
        fn call(&self, import: Import, request: &[u8]) -> Result<Vec<u8>, Vec<u8>> {
            self.calls.borrow_mut().push((import, request.to_vec()));
            self.answers.borrow_mut().remove(0)
        }
    }

    #[test]
    fn get_decodes_the_response_and_reads_absence() {
        let fake = FakeHost::default();
        fake.answers.borrow_mut().push(Ok(GetStateResponse {
            data: b"v".to_vec(),
            etag: "3".into(),
            ..Default::default()
        }
        .encode_to_vec()));
        fake.answers.borrow_mut().push(Ok(Vec::new()));
        let dapr = Dapr::with_host(&fake);
        assert_eq!(
            dapr.get("store", "k").unwrap(),
            Some(State { value: b"v".to_vec(), etag: Some("3".into()) })
        );
        assert_eq!(dapr.get("store", "missing").unwrap(), None);
        let calls = fake.calls.borrow();
        assert_eq!(calls[0].0, Import::GetState);
        let sent = GetStateRequest::decode(calls[0].1.as_slice()).unwrap();
        assert_eq!((sent.store_name.as_str(), sent.key.as_str()), ("store", "k"));
    }

    #[test]
    fn an_error_block_becomes_the_dapr_error() {
        let fake = FakeHost::default();
        let status = DaprError {
            code: code::ABORTED,
            message: "etag mismatch".into(),
            reason: Some("DAPR_STATE_ETAG_MISMATCH".into()),
            metadata: Vec::new(),
        }
        .to_status();
        fake.answers.borrow_mut().push(Err(status.encode_to_vec()));
        let error = Dapr::with_host(&fake).save_if("store", "k", b"v", "1").unwrap_err();
        assert_eq!(error.code, code::ABORTED);
        assert!(error.is("DAPR_STATE_ETAG_MISMATCH"));
        let sent = SaveStateRequest::decode(fake.calls.borrow()[0].1.as_slice()).unwrap();
        assert_eq!(sent.states[0].etag.as_ref().unwrap().value, "1");
    }

    #[test]
    fn increment_reads_saves_with_the_etag_and_retries_a_conflict() {
        let fake = FakeHost::default();
        let conflict = DaprError {
            code: code::ABORTED,
            message: "etag mismatch".into(),
            reason: Some("DAPR_STATE_ETAG_MISMATCH".into()),
            metadata: Vec::new(),
        }
        .to_status();
        let read = |value: &str, etag: &str| {
            Ok(GetStateResponse { data: value.as_bytes().to_vec(), etag: etag.into(), ..Default::default() }
                .encode_to_vec())
        };
        fake.answers.borrow_mut().extend([
            read("4", "7"),
            Err(conflict.encode_to_vec()),
            read("5", "8"),
            Ok(Vec::new()),
        ]);
        assert_eq!(Dapr::with_host(&fake).increment("store", "n").unwrap(), 6);
        let calls = fake.calls.borrow();
        assert_eq!(calls.len(), 4);
        let last = SaveStateRequest::decode(calls[3].1.as_slice()).unwrap();
        assert_eq!(last.states[0].value, b"6");
        assert_eq!(last.states[0].etag.as_ref().unwrap().value, "8");
    }

    #[test]
    fn a_first_update_saves_only_if_still_absent() {
        let fake = FakeHost::default();
        fake.answers.borrow_mut().extend([Ok(Vec::new()), Ok(Vec::new())]);
        assert_eq!(Dapr::with_host(&fake).increment("store", "n").unwrap(), 1);
        let save = SaveStateRequest::decode(fake.calls.borrow()[1].1.as_slice()).unwrap();
        assert!(save.states[0].etag.is_none());
        assert_eq!(
            save.states[0].options.as_ref().unwrap().concurrency,
            common::state_options::StateConcurrency::ConcurrencyFirstWrite as i32
        );
    }

    #[test]
    fn a_response_that_does_not_decode_is_an_internal_error_naming_the_import() {
        let fake = FakeHost::default();
        fake.answers.borrow_mut().push(Ok(vec![0xff, 0xff]));
        let error = Dapr::with_host(&fake).get_metadata().unwrap_err();
        assert_eq!(error.code, code::INTERNAL);
        assert!(error.message.starts_with("get_metadata"), "{}", error.message);
    }

    #[test]
    fn off_wasm_the_host_is_unavailable() {
        let error = Dapr::host().get("store", "k").unwrap_err();
        assert_eq!(error.code, code::UNAVAILABLE);
        let _ = Status::default();
    }
}
