//! An order service as a Wasm app hosted by Pillion (README, "Wasm apps"):
//!
//! - `POST /orders` with a JSON order: numbers it (counter `order-seq`), saves it as `order-<n>` in `statestore`
//!   and publishes `{"orderId":<n>,"order":<the order>}` on topic `orders` of `pubsub`; answers 201 with the id.
//! - `GET /orders/<n>`: the saved order, or 404.

use pillion_app::http::{Request, Response};
use pillion_app::{export_app, App, Dapr};

const STORE: &str = "statestore";
const PUBSUB: &str = "pubsub";

#[derive(Default)]
pub struct OrderService;

#[inline(never)]
fn place(dapr: &Dapr, order: &[u8]) -> Response {
    if order.is_empty() {
        return Response::error(400, "the order is empty: send it as JSON");
    }
    let id = match dapr.increment(STORE, "order-seq") {
        Ok(id) => id,
        Err(e) => return Response::error(500, &format!("numbering the order: {}", e)),
    };
    if let Err(e) = dapr.save(STORE, &format!("order-{}", id), order) {
        return Response::error(500, &format!("saving order {}: {}", id, e));
    }
    let mut event = format!("{{\"orderId\":{},\"order\":", id).into_bytes();
    event.extend_from_slice(order);
    event.push(b'}');
    if let Err(e) = dapr.publish(PUBSUB, "orders", &event, "application/json") {
        return Response::error(500, &format!("publishing order {}: {}", id, e));
    }
    Response::status(201).with_body("application/json", format!("{{\"orderId\":{}}}", id))
}

#[inline(never)]
fn read(dapr: &Dapr, id: &str) -> Response {
    match dapr.get(STORE, &format!("order-{}", id)) {
        Ok(Some(state)) => Response::json(state.value),
        Ok(None) => Response::error(404, &format!("no order {}", id)),
        Err(e) => Response::error(500, &e.to_string()),
    }
}

impl App for OrderService {
    fn on_invoke(&mut self, request: Request) -> Response {
        let dapr = Dapr::host();
        match (request.verb.as_str(), request.method.as_str()) {
            ("POST", "orders") => place(&dapr, &request.body),
            ("GET", path) if path.starts_with("orders/") => read(&dapr, &path["orders/".len()..]),
            (_, "orders") => Response::error(405, "use POST /orders"),
            _ => Response::error(404, &format!("no route {} /{}", request.verb, request.method)),
        }
    }
}

export_app!(OrderService);
