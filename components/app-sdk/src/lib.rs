//! Pillion's app SDK: a Dapr application written in Rust, compiled to Wasm and hosted inside the Pillion runtime
//! (docs/abi.md, "Wasm apps"). The runtime calls the app's [`App`] handlers for HTTP requests, service invocations
//! and pub/sub events; the app calls Dapr's building blocks through [`Dapr`], with the semantics and the errors of
//! Dapr's gRPC API.
//!
//! ```ignore
//! use pillion_app::{App, Dapr, http::{Request, Response}};
//!
//! #[derive(Default)]
//! struct Orders;
//!
//! impl App for Orders {
//!     fn on_invoke(&mut self, request: Request) -> Response {
//!         let dapr = Dapr::host();
//!         match dapr.save("statestore", "order-1", &request.body) {
//!             Ok(()) => Response::ok(),
//!             Err(e) => Response::error(500, &e.to_string()),
//!         }
//!     }
//! }
//!
//! pillion_app::export_app!(Orders);
//! ```

pub mod client;
pub mod error;
pub mod exports;
pub mod host;
pub mod http;

pub use client::Dapr;
pub use error::DaprError;
pub use exports::{App, TopicEventStatus};

/// Dapr's messages, generated from the `.proto` files of the app ABI.
pub mod proto {
    /// `dapr.proto.*`.
    pub mod dapr {
        pub mod proto {
            pub mod common {
                pub mod v1 {
                    include!(concat!(env!("OUT_DIR"), "/dapr.proto.common.v1.rs"));
                }
            }
            pub mod runtime {
                pub mod v1 {
                    include!(concat!(env!("OUT_DIR"), "/dapr.proto.runtime.v1.rs"));
                }
            }
            pub mod internals {
                pub mod v1 {
                    include!(concat!(env!("OUT_DIR"), "/dapr.proto.internals.v1.rs"));
                }
            }
        }
    }
    /// `google.rpc.Status` and `ErrorInfo`, the errors of Dapr's gRPC API.
    pub mod google {
        pub mod rpc {
            include!(concat!(env!("OUT_DIR"), "/google.rpc.rs"));
        }
    }
    pub use self::dapr::proto::common::v1 as common;
    pub use self::dapr::proto::internals::v1 as internals;
    pub use self::dapr::proto::runtime::v1 as runtime;
    pub use self::google::rpc;
}
