//! The app's side of the ABI: the [`App`] trait and [`export_app!`](crate::export_app), which exports its handlers
//! as `app_on_invoke`, `app_list_topic_subscriptions` and `app_on_topic_event` (docs/abi.md, "App exports").

use crate::error::{code, DaprError};
use crate::http::{Request, Response};
use crate::proto::common::InvokeRequest;
use crate::proto::internals::{InternalInvokeRequest, ListStringValue};
use crate::proto::runtime::{
    topic_event_response::TopicEventResponseStatus, ListTopicSubscriptionsResponse, TopicEventRequest,
    TopicEventResponse, TopicRoutes, TopicSubscription,
};
use prost::Message;

/// The ABI version apps built with this SDK speak (docs/abi.md: apps speak version 2 only).
pub const APP_API_VERSION: u64 = 2;

const ERROR_FLAG: u64 = 1 << 31;

/// What became of an event.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum TopicEventStatus {
    /// Handled: the runtime acknowledges it.
    Success,
    /// Not handled now: the runtime delivers it again (its resiliency policy, then the dead-letter topic).
    Retry,
    /// Never to be handled: the runtime drops it (or sends it to the dead-letter topic).
    Drop,
}

/// A Dapr application. The runtime creates instances with `Default` and may run several, one call at a time each,
/// and discard any of them: keep state in the state store, not in the value.
pub trait App {
    /// Answers an HTTP request to the app's routes or an invocation of one of its methods.
    fn on_invoke(&mut self, request: Request) -> Response;

    /// The app's subscriptions, asked once when the app starts (declarative Subscriptions add to them).
    fn subscriptions(&mut self) -> Vec<TopicSubscription> {
        Vec::new()
    }

    /// Handles an event of one of its subscriptions.
    fn on_topic_event(&mut self, event: TopicEventRequest) -> TopicEventStatus {
        let _ = event;
        TopicEventStatus::Drop
    }
}

/// A subscription of `topic` on `pubsub`, delivered to the route (method) `route`.
pub fn subscription(pubsub: &str, topic: &str, route: &str) -> TopicSubscription {
    TopicSubscription {
        pubsub_name: pubsub.into(),
        topic: topic.into(),
        routes: Some(TopicRoutes { rules: Vec::new(), default: route.into() }),
        ..Default::default()
    }
}

extern "C" {
    // wasi-libc's allocator, exported as `malloc`/`free` by the app's build script: the host frees what we return.
    fn malloc(size: usize) -> *mut u8;
}

#[inline(never)]
fn block(bytes: &[u8], flag: u64) -> u64 {
    if bytes.is_empty() && flag == 0 {
        return 0;
    }
    let len = bytes.len().max(1);
    // SAFETY: malloc returns null or a block of at least `len` bytes that nothing else references.
    let ptr = unsafe { malloc(len) };
    if ptr.is_null() {
        // Without memory nothing can be returned; an empty error block still tells the host the call failed.
        return ERROR_FLAG;
    }
    // SAFETY: `ptr` has room for `len >= bytes.len()` bytes.
    unsafe { std::ptr::copy_nonoverlapping(bytes.as_ptr(), ptr, bytes.len()) };
    ((ptr as usize as u64) << 32) | bytes.len() as u64 | flag
}

/// The answer to an export: the encoded response, or the encoded `google.rpc.Status` of its failure.
pub type Answer = Result<Vec<u8>, Vec<u8>>;

fn failure(error: &DaprError) -> Vec<u8> {
    error.to_status().encode_to_vec()
}

#[inline(never)]
fn decode<M: Message + Default>(bytes: &[u8], what: &str) -> Result<M, Vec<u8>> {
    M::decode(bytes).map_err(|e| {
        failure(&DaprError {
            code: code::INVALID_ARGUMENT,
            message: format!("malformed {}: {}", what, e),
            reason: None,
            metadata: Vec::new(),
        })
    })
}

/// Encodes an answer. Never inlined: protobuf encoding stays out of the exports' bodies (docs/decisions.md, "Guest
/// functions stay small": a Wasm function the JVM cannot compile runs in its bytecode interpreter).
#[inline(never)]
fn encode<M: Message>(message: &M) -> Vec<u8> {
    message.encode_to_vec()
}

/// Runs the app's handler in a function of its own, so its body does not swell the export's.
#[inline(never)]
fn handle<A: App>(app: &mut A, request: Request) -> Response {
    app.on_invoke(request)
}

/// One entry of `InternalInvokeRequest.metadata` (a protobuf map entry).
#[derive(Clone, PartialEq, ::prost::Message)]
struct MetadataEntry {
    #[prost(string, tag = "1")]
    key: String,
    #[prost(message, optional, tag = "2")]
    value: Option<ListStringValue>,
}

/// Decodes an `InternalInvokeRequest` field by field, each nested message by a function of its own: prost's derived
/// decoder inlines every nested merge into one Wasm function too large for the JVM to compile (docs/decisions.md,
/// "Guest functions stay small"), and this is on the path of every request.
#[inline(never)]
fn decode_invoke_request(bytes: &[u8]) -> Result<InternalInvokeRequest, Vec<u8>> {
    use prost::encoding::{decode_key, decode_varint, skip_field, DecodeContext, WireType};
    let malformed = |e: prost::DecodeError| {
        failure(&DaprError {
            code: code::INVALID_ARGUMENT,
            message: format!("malformed InternalInvokeRequest: {}", e),
            reason: None,
            metadata: Vec::new(),
        })
    };
    let mut buf = bytes;
    let mut request = InternalInvokeRequest::default();
    while !buf.is_empty() {
        let (tag, wire_type) = decode_key(&mut buf).map_err(malformed)?;
        if wire_type == WireType::LengthDelimited && (tag == 2 || tag == 3) {
            let len = decode_varint(&mut buf).map_err(malformed)? as usize;
            if len > buf.len() {
                return Err(malformed(prost::DecodeError::new("a field runs past the end of the message")));
            }
            let (field, rest) = buf.split_at(len);
            buf = rest;
            if tag == 2 {
                let entry = decode::<MetadataEntry>(field, "InternalInvokeRequest.metadata")?;
                request.metadata.insert(entry.key, entry.value.unwrap_or_default());
            } else {
                request.message = Some(decode::<InvokeRequest>(field, "InternalInvokeRequest.message")?);
            }
        } else {
            // The API version and the actor: nothing an app reads.
            skip_field(wire_type, tag, &mut buf, DecodeContext::default()).map_err(malformed)?;
        }
    }
    Ok(request)
}

/// `app_on_invoke` over bytes.
#[inline(never)]
pub fn on_invoke<A: App>(app: &mut A, request: &[u8]) -> Answer {
    let request = decode_invoke_request(request)?;
    Ok(encode(&handle(app, Request::from_internal(request)).into_internal()))
}

/// `app_list_topic_subscriptions` over bytes.
#[inline(never)]
pub fn list_topic_subscriptions<A: App>(app: &mut A) -> Answer {
    Ok(encode(&ListTopicSubscriptionsResponse { subscriptions: app.subscriptions() }))
}

/// `app_on_topic_event` over bytes.
#[inline(never)]
pub fn on_topic_event<A: App>(app: &mut A, event: &[u8]) -> Answer {
    let event = decode::<TopicEventRequest>(event, "TopicEventRequest")?;
    let status = match app.on_topic_event(event) {
        TopicEventStatus::Success => TopicEventResponseStatus::Success,
        TopicEventStatus::Retry => TopicEventResponseStatus::Retry,
        TopicEventStatus::Drop => TopicEventResponseStatus::Drop,
    };
    // SUCCESS is 0, which encodes to nothing: the empty response the host reads as SUCCESS.
    Ok(encode(&TopicEventResponse { status: status as i32 }))
}

/// Runs an export's body over the request the host wrote and packs its answer into a block the host frees.
///
/// # Safety
/// `ptr..ptr+len` is memory the host wrote for this call, or `len == 0`.
pub unsafe fn export(ptr: u32, len: u32, body: impl FnOnce(&[u8]) -> Answer) -> u64 {
    let request = if len == 0 { &[][..] } else { std::slice::from_raw_parts(ptr as usize as *const u8, len as usize) };
    match body(request) {
        Ok(bytes) => block(&bytes, 0),
        Err(status) => block(&status, ERROR_FLAG),
    }
}

/// Exports an [`App`] (a type implementing `App + Default`) as the module's handlers.
#[macro_export]
macro_rules! export_app {
    ($app:ty) => {
        thread_local! {
            static PILLION_APP: ::core::cell::RefCell<$app> =
                ::core::cell::RefCell::new(<$app as ::core::default::Default>::default());
        }

        #[no_mangle]
        pub extern "C" fn app_api_version() -> u64 {
            $crate::exports::APP_API_VERSION
        }

        #[no_mangle]
        pub unsafe extern "C" fn app_on_invoke(ptr: u32, len: u32) -> u64 {
            $crate::exports::export(ptr, len, |request| {
                PILLION_APP.with(|app| $crate::exports::on_invoke(&mut *app.borrow_mut(), request))
            })
        }

        #[no_mangle]
        pub unsafe extern "C" fn app_list_topic_subscriptions(ptr: u32, len: u32) -> u64 {
            $crate::exports::export(ptr, len, |_| {
                PILLION_APP.with(|app| $crate::exports::list_topic_subscriptions(&mut *app.borrow_mut()))
            })
        }

        #[no_mangle]
        pub unsafe extern "C" fn app_on_topic_event(ptr: u32, len: u32) -> u64 {
            $crate::exports::export(ptr, len, |event| {
                PILLION_APP.with(|app| $crate::exports::on_topic_event(&mut *app.borrow_mut(), event))
            })
        }
    };
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::proto::common::InvokeRequest;
    use crate::proto::internals::InternalInvokeResponse;

    #[derive(Default)]
    struct Echo {
        events: usize,
    }

    impl App for Echo {
        fn on_invoke(&mut self, request: Request) -> Response {
            Response::text(format!("{} {}", request.verb, request.method))
        }

        fn subscriptions(&mut self) -> Vec<TopicSubscription> {
            vec![subscription("pubsub", "orders", "orders")]
        }

        fn on_topic_event(&mut self, _event: TopicEventRequest) -> TopicEventStatus {
            self.events += 1;
            if self.events == 1 {
                TopicEventStatus::Retry
            } else {
                TopicEventStatus::Success
            }
        }
    }

    #[test]
    fn invoke_round_trips_through_the_abi() {
        let request = InternalInvokeRequest {
            message: Some(InvokeRequest { method: "orders".into(), ..Default::default() }),
            ..Default::default()
        }
        .encode_to_vec();
        let bytes = on_invoke(&mut Echo::default(), &request).unwrap();
        let response = InternalInvokeResponse::decode(bytes.as_slice()).unwrap();
        assert_eq!(response.status.unwrap().code, 200);
        assert_eq!(response.message.unwrap().data.unwrap().value, b"POST orders".to_vec());
    }

    #[test]
    fn the_field_by_field_decoder_reads_what_prost_writes() {
        let mut metadata = std::collections::HashMap::new();
        metadata.insert("x-a".to_string(), ListStringValue { values: vec!["1".into(), "2".into()] });
        metadata.insert("x-b".to_string(), ListStringValue { values: vec!["3".into()] });
        let request = InternalInvokeRequest {
            ver: 1,
            metadata,
            message: Some(InvokeRequest { method: "orders/7".into(), content_type: "text/plain".into(), ..Default::default() }),
            actor: None,
        };
        let mut expected = request.clone();
        expected.ver = 0;
        assert_eq!(decode_invoke_request(&request.encode_to_vec()).unwrap(), expected);
        // A length past the end of the message is an error, not a read past it.
        let error = decode_invoke_request(&[0x1a, 0x20, 0x01]).unwrap_err();
        assert!(DaprError::from_status_bytes(&error).message.contains("InternalInvokeRequest"));
    }

    #[test]
    fn a_malformed_request_is_an_invalid_argument_status() {
        let garbage = [0xffu8, 0xff, 0xff];
        let bytes = on_invoke(&mut Echo::default(), &garbage).unwrap_err();
        let error = DaprError::from_status_bytes(&bytes);
        assert_eq!(error.code, code::INVALID_ARGUMENT);
        assert!(error.message.contains("InternalInvokeRequest"), "{}", error.message);
    }

    #[test]
    fn events_answer_their_status() {
        let mut app = Echo::default();
        let event = TopicEventRequest { id: "1".into(), ..Default::default() }.encode_to_vec();
        let first = on_topic_event(&mut app, &event).unwrap();
        assert_eq!(TopicEventResponse::decode(first.as_slice()).unwrap().status, TopicEventResponseStatus::Retry as i32);
        let second = on_topic_event(&mut app, &event).unwrap();
        assert!(second.is_empty(), "SUCCESS is the empty response");
        let subscriptions = list_topic_subscriptions(&mut app).unwrap();
        let list = ListTopicSubscriptionsResponse::decode(subscriptions.as_slice()).unwrap();
        assert_eq!(list.subscriptions[0].topic, "orders");
    }
}
