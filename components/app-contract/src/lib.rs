//! A Wasm app for the app host's tests (pillion-server `dev.pillion.server.apps`).
//!
//! - `POST /call/<import>` passes the body, an encoded request, to that Dapr import unchanged and answers its encoded
//!   response (200), or the encoded `google.rpc.Status` of its error (status 299, header `x-dapr-error: 1`): the test
//!   compares both with what the gRPC API answers to the same request.
//! - `GET /env/<name>` answers an environment variable (404 when unset); `GET /file?path=...` tries to read a file.
//! - `POST /loop`, `/trap`, `/grow`, `/fail` misbehave: an endless loop, a trap, memory growth until the cap, an
//!   error returned.
//! - Subscribes to `pubsub`/`orders` (route `orders`): an event whose data is `"retry"` is retried until it has been
//!   seen 3 times, `"drop"` is dropped, any other is counted in state key `events` and succeeds.

use pillion_app::host::{Host, Import, WasmHost};
use pillion_app::http::{Request, Response};
use pillion_app::proto::runtime::{TopicEventRequest, TopicSubscription};
use pillion_app::{export_app, exports, App, Dapr, TopicEventStatus};

#[derive(Default)]
pub struct ContractApp;

fn import(name: &str) -> Option<Import> {
    Some(match name {
        "get_state" => Import::GetState,
        "get_bulk_state" => Import::GetBulkState,
        "save_state" => Import::SaveState,
        "delete_state" => Import::DeleteState,
        "delete_bulk_state" => Import::DeleteBulkState,
        "execute_state_transaction" => Import::ExecuteStateTransaction,
        "publish_event" => Import::PublishEvent,
        "bulk_publish_event" => Import::BulkPublishEvent,
        "invoke_service" => Import::InvokeService,
        "get_secret" => Import::GetSecret,
        "get_bulk_secret" => Import::GetBulkSecret,
        "get_metadata" => Import::GetMetadata,
        _ => return None,
    })
}

fn count_in_state(dapr: &Dapr, key: &str) -> Result<u64, pillion_app::DaprError> {
    dapr.increment("statestore", key)
}

impl App for ContractApp {
    fn on_invoke(&mut self, request: Request) -> Response {
        let method = request.method.clone();
        if let Some(name) = method.strip_prefix("call/") {
            return match import(name) {
                Some(import) => match WasmHost.call(import, &request.body) {
                    Ok(bytes) => Response::ok().with_body("application/x-protobuf", bytes),
                    Err(status) => Response::status(299)
                        .with_header("x-dapr-error", "1")
                        .with_body("application/x-protobuf", status),
                },
                None => Response::error(404, &format!("no import {}", name)),
            };
        }
        if let Some(name) = method.strip_prefix("env/") {
            return match std::env::var(name) {
                Ok(value) => Response::text(value),
                Err(_) => Response::error(404, &format!("{} is not set", name)),
            };
        }
        match method.as_str() {
            "file" => {
                let path = request.query_param("path").unwrap_or("/etc/passwd").to_string();
                match std::fs::read(&path) {
                    Ok(bytes) => Response::ok().with_body("application/octet-stream", bytes),
                    Err(e) => Response::error(403, &format!("{}: {}", path, e)),
                }
            }
            "loop" => {
                let mut n: u64 = 0;
                loop {
                    // SAFETY: reading a local; volatile so the loop is not optimized away.
                    n = unsafe { std::ptr::read_volatile(&n) }.wrapping_add(1);
                }
            }
            "trap" => {
                #[cfg(target_arch = "wasm32")]
                core::arch::wasm32::unreachable();
                #[cfg(not(target_arch = "wasm32"))]
                panic!("trap");
            }
            "grow" => {
                let mut hoard: Vec<Vec<u8>> = Vec::new();
                loop {
                    let block = vec![1u8; 1 << 20];
                    // SAFETY: reading a byte of a live vector; volatile so the allocation is kept.
                    unsafe { std::ptr::read_volatile(&block[block.len() - 1]) };
                    hoard.push(block);
                }
            }
            "fail" => Response::error(500, "failed on purpose"),
            "count" => match count_in_state(&Dapr::host(), "counter") {
                Ok(n) => Response::text(n.to_string()),
                Err(e) => Response::error(500, &e.to_string()),
            },
            "echo" => Response::ok()
                .with_header("x-verb", &request.verb)
                .with_header("x-query", &request.query)
                .with_header("x-seen", request.header("x-test").unwrap_or(""))
                .with_body(&request.content_type.clone(), request.body),
            _ => Response::error(404, &format!("no route {}", method)),
        }
    }

    fn subscriptions(&mut self) -> Vec<TopicSubscription> {
        vec![exports::subscription("pubsub", "orders", "orders")]
    }

    fn on_topic_event(&mut self, event: TopicEventRequest) -> TopicEventStatus {
        let dapr = Dapr::host();
        match event.data.as_slice() {
            b"\"drop\"" | b"drop" => TopicEventStatus::Drop,
            b"\"retry\"" | b"retry" => match count_in_state(&dapr, &format!("retries-{}", event.id)) {
                Ok(n) if n < 3 => TopicEventStatus::Retry,
                Ok(_) => match count_in_state(&dapr, "events") {
                    Ok(_) => TopicEventStatus::Success,
                    Err(_) => TopicEventStatus::Retry,
                },
                Err(_) => TopicEventStatus::Retry,
            },
            _ => match count_in_state(&dapr, "events") {
                Ok(_) => TopicEventStatus::Success,
                Err(_) => TopicEventStatus::Retry,
            },
        }
    }
}

export_app!(ContractApp);
