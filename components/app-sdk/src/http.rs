//! An invocation as an HTTP handler sees it: [`Request`] (verb, path, query, headers, body) and [`Response`]
//! (status, headers, body), converted from and to Dapr's internal invocation messages the runtime sends
//! (docs/abi.md, "App exports").

use crate::proto::common::{http_extension::Verb, InvokeResponse};
use crate::proto::internals::{InternalInvokeRequest, InternalInvokeResponse, ListStringValue, Status};

/// A request to the app: an HTTP request to its routes, or a service invocation of one of its methods.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Request {
    /// The HTTP verb in upper case (`GET`, `POST`, ...); `POST` for a gRPC invocation without one.
    pub verb: String,
    /// The method: the path without its leading `/` (`orders/7`).
    pub method: String,
    /// The query string without `?`, as sent.
    pub query: String,
    /// Headers with lower-case names, in the order received.
    pub headers: Vec<(String, String)>,
    pub content_type: String,
    pub body: Vec<u8>,
}

impl Request {
    /// The first value of a header (names are compared without case).
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers.iter().find(|(n, _)| n.eq_ignore_ascii_case(name)).map(|(_, v)| v.as_str())
    }

    /// The first value of a query parameter, undecoded.
    pub fn query_param(&self, name: &str) -> Option<&str> {
        self.query.split('&').filter_map(|pair| pair.split_once('=')).find(|(n, _)| *n == name).map(|(_, v)| v)
    }

    /// The request the runtime sent. Never inlined: kept out of the export's body so that stays small enough for the
    /// JVM to compile (docs/decisions.md, "Guest functions stay small").
    #[inline(never)]
    pub fn from_internal(request: InternalInvokeRequest) -> Request {
        let mut headers: Vec<(String, String)> = Vec::new();
        let mut names: Vec<&String> = request.metadata.keys().collect();
        names.sort();
        for name in names {
            for value in &request.metadata[name].values {
                headers.push((name.to_ascii_lowercase(), value.clone()));
            }
        }
        let message = request.message.unwrap_or_default();
        let (verb, query) = match message.http_extension {
            Some(extension) => (
                Verb::from_i32(extension.verb).filter(|v| *v != Verb::None).unwrap_or(Verb::Post),
                extension.querystring,
            ),
            None => (Verb::Post, String::new()),
        };
        Request {
            verb: verb.as_str_name().to_string(),
            method: message.method.trim_start_matches('/').to_string(),
            query,
            headers,
            content_type: message.content_type,
            body: message.data.map(|any| any.value).unwrap_or_default(),
        }
    }
}

/// The app's answer.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Response {
    pub status: u16,
    pub headers: Vec<(String, String)>,
    pub content_type: String,
    pub body: Vec<u8>,
}

impl Response {
    /// `200 OK` without a body.
    pub fn ok() -> Response {
        Response::status(200)
    }

    /// An empty answer with this status.
    pub fn status(status: u16) -> Response {
        Response { status, headers: Vec::new(), content_type: String::new(), body: Vec::new() }
    }

    /// `200 OK` with a JSON body.
    pub fn json(body: impl Into<Vec<u8>>) -> Response {
        Response::ok().with_body("application/json", body)
    }

    /// `200 OK` with a text body.
    pub fn text(body: impl Into<String>) -> Response {
        Response::ok().with_body("text/plain; charset=utf-8", body.into().into_bytes())
    }

    /// An error answer with a JSON body `{"error": message}`.
    pub fn error(status: u16, message: &str) -> Response {
        let escaped: String = message
            .chars()
            .flat_map(|c| match c {
                '"' => vec!['\\', '"'],
                '\\' => vec!['\\', '\\'],
                c if (c as u32) < 0x20 => format!("\\u{:04x}", c as u32).chars().collect(),
                c => vec![c],
            })
            .collect();
        Response::status(status).with_body("application/json", format!("{{\"error\":\"{}\"}}", escaped))
    }

    /// This answer with a body and its content type.
    pub fn with_body(mut self, content_type: &str, body: impl Into<Vec<u8>>) -> Response {
        self.content_type = content_type.to_string();
        self.body = body.into();
        self
    }

    /// This answer with one more header.
    pub fn with_header(mut self, name: &str, value: &str) -> Response {
        self.headers.push((name.to_string(), value.to_string()));
        self
    }

    /// The answer as the runtime takes it. Never inlined, as [`Request::from_internal`].
    #[inline(never)]
    pub fn into_internal(self) -> InternalInvokeResponse {
        let mut headers = std::collections::HashMap::<String, ListStringValue>::new();
        for (name, value) in self.headers {
            headers.entry(name).or_default().values.push(value);
        }
        InternalInvokeResponse {
            status: Some(Status { code: i32::from(self.status), message: String::new(), details: Vec::new() }),
            headers,
            trailers: Default::default(),
            message: Some(InvokeResponse {
                data: Some(prost_types::Any { type_url: String::new(), value: self.body }),
                content_type: self.content_type,
            }),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::proto::common::{HttpExtension, InvokeRequest};

    #[test]
    fn an_internal_request_reads_as_http() {
        let mut metadata = std::collections::HashMap::new();
        metadata.insert("X-Trace".to_string(), ListStringValue { values: vec!["a".into(), "b".into()] });
        let request = Request::from_internal(InternalInvokeRequest {
            metadata,
            message: Some(InvokeRequest {
                method: "/orders/7".into(),
                data: Some(prost_types::Any { type_url: String::new(), value: b"{}".to_vec() }),
                content_type: "application/json".into(),
                http_extension: Some(HttpExtension { verb: Verb::Put as i32, querystring: "a=1&b=2".into() }),
            }),
            ..Default::default()
        });
        assert_eq!(request.verb, "PUT");
        assert_eq!(request.method, "orders/7");
        assert_eq!(request.query_param("b"), Some("2"));
        assert_eq!(request.header("x-trace"), Some("a"));
        assert_eq!(request.headers.len(), 2);
        assert_eq!(request.body, b"{}");
    }

    #[test]
    fn a_request_without_extension_is_a_post() {
        let request = Request::from_internal(InternalInvokeRequest::default());
        assert_eq!((request.verb.as_str(), request.method.as_str()), ("POST", ""));
    }

    #[test]
    fn a_response_carries_status_headers_and_body() {
        let internal = Response::error(404, "no \"order\"").with_header("x-a", "1").with_header("x-a", "2").into_internal();
        assert_eq!(internal.status.unwrap().code, 404);
        assert_eq!(internal.headers["x-a"].values, vec!["1", "2"]);
        let message = internal.message.unwrap();
        assert_eq!(message.content_type, "application/json");
        assert_eq!(message.data.unwrap().value, br#"{"error":"no \"order\""}"#.to_vec());
    }
}
