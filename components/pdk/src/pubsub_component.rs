//! Pub/sub components: implement [`PubSubComponent`] and call [`export_pubsub!`](crate::export_pubsub).

use crate::pubsub::*;
use crate::Error;

/// A pub/sub component (a broker client, or the in-memory broker). The host drives delivery: it declares
/// subscriptions, pulls leased messages and acknowledges each (see `proto/pubsub/pubsub.proto`).
pub trait PubSubComponent {
    /// Receives the component's name and metadata properties (once per instance, before any other call).
    fn init(&mut self, metadata: Metadata) -> Result<(), Error> {
        let _ = metadata;
        Ok(())
    }

    /// Feature strings, e.g. `BULK_PUBLISH`.
    fn features(&self) -> Vec<String>;

    /// Stores one message for every subscription of its topic.
    fn publish(&mut self, request: PublishRequest) -> Result<PublishResponse, Error>;

    /// Publishes many messages; the default publishes one by one and reports each failure.
    fn bulk_publish(&mut self, request: BulkPublishRequest) -> Result<BulkPublishResponse, Error> {
        let mut failed_entries = Vec::new();
        for entry in request.entries {
            let publish = PublishRequest {
                topic: request.topic.clone(),
                data: entry.data,
                content_type: entry.content_type,
                metadata: entry.metadata,
            };
            if let Err(e) = self.publish(publish) {
                failed_entries.push(BulkPublishFailedEntry { entry_id: entry.entry_id, error: e.to_abi_message() });
            }
        }
        Ok(BulkPublishResponse { failed_entries })
    }

    /// Declares a subscription (idempotent).
    fn subscribe(&mut self, request: SubscribeRequest) -> Result<(), Error>;

    /// Removes a subscription and its pending messages.
    fn unsubscribe(&mut self, request: UnsubscribeRequest) -> Result<(), Error>;

    /// Leases up to `max_messages` messages, oldest first.
    fn pull(&mut self, request: PullRequest) -> Result<PullResponse, Error>;

    /// An optional fast path for [`PubSubComponent::pull`]: writes the encoded `PullResponse` to `out` and returns
    /// `Ok(true)`, for a component that keeps its messages encoded, so that a pull copies each instead of decoding
    /// and encoding it. `Ok(false)` (the default) falls back to `pull`.
    fn pull_encoded(&mut self, request: &PullRequest, out: &mut Vec<u8>) -> Result<bool, Error> {
        let _ = (request, out);
        Ok(false)
    }

    /// Settles leased messages.
    fn ack(&mut self, request: AckRequest) -> Result<AckResponse, Error>;

    /// Checks the component (and its backend) is reachable.
    fn ping(&mut self) -> Result<(), Error> {
        Ok(())
    }
}

/// Exports a [`PubSubComponent`] type (which must implement `Default`) as a pub/sub component:
/// `pubsub_api_version` and every `pubsub_<method>` of the contract. Use once per crate.
#[macro_export]
macro_rules! export_pubsub {
    ($component:ty) => {
        thread_local! {
            static PILLION_PUBSUB: ::core::cell::RefCell<$component> =
                ::core::cell::RefCell::new(<$component as ::core::default::Default>::default());
        }

        fn pillion_with_pubsub<R>(f: impl FnOnce(&mut $component) -> R) -> R {
            PILLION_PUBSUB.with(|component| f(&mut component.borrow_mut()))
        }

        #[no_mangle]
        pub extern "C" fn pubsub_api_version() -> u64 {
            $crate::abi::API_VERSION
        }

        #[no_mangle]
        pub unsafe extern "C" fn pubsub_init(ptr: u32, len: u32) -> u64 {
            $crate::abi::handle(ptr, len, |req: $crate::pubsub::InitRequest| {
                pillion_with_pubsub(|c| $crate::PubSubComponent::init(c, req.metadata.unwrap_or_default()))
                    .map(|_| $crate::pubsub::InitResponse {})
            })
        }

        #[no_mangle]
        pub unsafe extern "C" fn pubsub_features(ptr: u32, len: u32) -> u64 {
            $crate::abi::handle(ptr, len, |_: $crate::pubsub::FeaturesRequest| {
                Ok($crate::pubsub::FeaturesResponse {
                    features: pillion_with_pubsub(|c| $crate::PubSubComponent::features(c)),
                })
            })
        }

        #[no_mangle]
        pub unsafe extern "C" fn pubsub_publish(ptr: u32, len: u32) -> u64 {
            $crate::abi::handle(ptr, len, |req| pillion_with_pubsub(|c| $crate::PubSubComponent::publish(c, req)))
        }

        #[no_mangle]
        pub unsafe extern "C" fn pubsub_bulk_publish(ptr: u32, len: u32) -> u64 {
            $crate::abi::handle(ptr, len, |req| {
                pillion_with_pubsub(|c| $crate::PubSubComponent::bulk_publish(c, req))
            })
        }

        #[no_mangle]
        pub unsafe extern "C" fn pubsub_subscribe(ptr: u32, len: u32) -> u64 {
            $crate::abi::handle(ptr, len, |req| {
                pillion_with_pubsub(|c| $crate::PubSubComponent::subscribe(c, req))
                    .map(|_| $crate::pubsub::SubscribeResponse {})
            })
        }

        #[no_mangle]
        pub unsafe extern "C" fn pubsub_unsubscribe(ptr: u32, len: u32) -> u64 {
            $crate::abi::handle(ptr, len, |req| {
                pillion_with_pubsub(|c| $crate::PubSubComponent::unsubscribe(c, req))
                    .map(|_| $crate::pubsub::UnsubscribeResponse {})
            })
        }

        #[no_mangle]
        pub unsafe extern "C" fn pubsub_pull(ptr: u32, len: u32) -> u64 {
            let req: $crate::pubsub::PullRequest = match $crate::abi::decode(ptr, len) {
                Ok(req) => req,
                Err(packed_error) => return packed_error,
            };
            pillion_with_pubsub(|c| {
                let mut encoded = ::std::vec::Vec::new();
                match $crate::PubSubComponent::pull_encoded(c, &req, &mut encoded) {
                    Ok(true) => return $crate::abi::respond_bytes(&encoded),
                    Ok(false) => {}
                    Err(e) => return $crate::abi::error(&e),
                }
                match $crate::PubSubComponent::pull(c, req) {
                    Ok(response) => $crate::abi::respond(&response),
                    Err(e) => $crate::abi::error(&e),
                }
            })
        }

        #[no_mangle]
        pub unsafe extern "C" fn pubsub_ack(ptr: u32, len: u32) -> u64 {
            $crate::abi::handle(ptr, len, |req| pillion_with_pubsub(|c| $crate::PubSubComponent::ack(c, req)))
        }

        #[no_mangle]
        pub unsafe extern "C" fn pubsub_ping(ptr: u32, len: u32) -> u64 {
            $crate::abi::handle(ptr, len, |_: $crate::pubsub::PingRequest| {
                pillion_with_pubsub(|c| $crate::PubSubComponent::ping(c)).map(|_| $crate::pubsub::PingResponse {})
            })
        }
    };
}
