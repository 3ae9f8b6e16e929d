//! The app's side of the ABI: the [`App`] trait and [`export_app!`](crate::export_app), which exports its handlers
//! as `app_on_invoke`, `app_list_topic_subscriptions` and `app_on_topic_event` (docs/abi.md, "App exports").

use crate::error::{code, DaprError};
use crate::http::{Request, Response};
use crate::proto::internals::InternalInvokeRequest;
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

/// `app_on_invoke` over bytes.
pub fn on_invoke<A: App>(app: &mut A, request: &[u8]) -> Answer {
    let request = decode::<InternalInvokeRequest>(request, "InternalInvokeRequest")?;
    Ok(app.on_invoke(Request::from_internal(request)).into_internal().encode_to_vec())
}

/// `app_list_topic_subscriptions` over bytes.
pub fn list_topic_subscriptions<A: App>(app: &mut A) -> Answer {
    Ok(ListTopicSubscriptionsResponse { subscriptions: app.subscriptions() }.encode_to_vec())
}

/// `app_on_topic_event` over bytes.
pub fn on_topic_event<A: App>(app: &mut A, event: &[u8]) -> Answer {
    let event = decode::<TopicEventRequest>(event, "TopicEventRequest")?;
    let status = match app.on_topic_event(event) {
        TopicEventStatus::Success => TopicEventResponseStatus::Success,
        TopicEventStatus::Retry => TopicEventResponseStatus::Retry,
        TopicEventStatus::Drop => TopicEventResponseStatus::Drop,
    };
    // SUCCESS is 0, which encodes to nothing: the empty response the host reads as SUCCESS.
    Ok(TopicEventResponse { status: status as i32 }.encode_to_vec())
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
