//! The errors of Dapr's gRPC API, as an app receives them from an import: a `google.rpc.Status`.

use crate::proto::rpc::{ErrorInfo, Status};
use prost::Message;
use std::fmt;

const ERROR_INFO_TYPE: &str = "type.googleapis.com/google.rpc.ErrorInfo";

/// gRPC status codes an app may want to match on.
pub mod code {
    pub const CANCELLED: i32 = 1;
    pub const UNKNOWN: i32 = 2;
    pub const INVALID_ARGUMENT: i32 = 3;
    pub const DEADLINE_EXCEEDED: i32 = 4;
    pub const NOT_FOUND: i32 = 5;
    pub const ALREADY_EXISTS: i32 = 6;
    pub const PERMISSION_DENIED: i32 = 7;
    pub const RESOURCE_EXHAUSTED: i32 = 8;
    pub const FAILED_PRECONDITION: i32 = 9;
    pub const ABORTED: i32 = 10;
    pub const UNIMPLEMENTED: i32 = 12;
    pub const INTERNAL: i32 = 13;
    pub const UNAVAILABLE: i32 = 14;
}

/// A failed call to Dapr: the gRPC status code, the message and, when the runtime sent one, daprd's error code
/// (`ErrorInfo.reason`, e.g. `DAPR_STATE_ETAG_MISMATCH`) with its metadata.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DaprError {
    pub code: i32,
    pub message: String,
    pub reason: Option<String>,
    pub metadata: Vec<(String, String)>,
}

impl DaprError {
    /// Decodes the error block of an import; bytes that are not a `Status` become an `INTERNAL` error saying so.
    pub fn from_status_bytes(bytes: &[u8]) -> DaprError {
        match Status::decode(bytes) {
            Ok(status) => DaprError::from_status(status),
            Err(e) => DaprError::internal(format!("the runtime answered an error that is not a google.rpc.Status: {}", e)),
        }
    }

    /// The error a `Status` describes.
    pub fn from_status(status: Status) -> DaprError {
        let info = status
            .details
            .iter()
            .filter(|any| any.type_url == ERROR_INFO_TYPE)
            .find_map(|any| ErrorInfo::decode(any.value.as_slice()).ok());
        let (reason, metadata) = match info {
            Some(info) => {
                let mut metadata: Vec<(String, String)> = info.metadata.into_iter().collect();
                metadata.sort();
                (Some(info.reason), metadata)
            }
            None => (None, Vec::new()),
        };
        DaprError { code: status.code, message: status.message, reason, metadata }
    }

    /// An error the SDK itself raises (a response it could not decode).
    pub fn internal(message: String) -> DaprError {
        DaprError { code: code::INTERNAL, message, reason: None, metadata: Vec::new() }
    }

    /// Whether daprd's error code (`ErrorInfo.reason`) is `reason`.
    pub fn is(&self, reason: &str) -> bool {
        self.reason.as_deref() == Some(reason)
    }

    /// The error as a `google.rpc.Status`, for a handler to return it.
    pub fn to_status(&self) -> Status {
        let details = match &self.reason {
            Some(reason) => vec![prost_types::Any {
                type_url: ERROR_INFO_TYPE.to_string(),
                value: ErrorInfo {
                    reason: reason.clone(),
                    domain: "dapr.io".to_string(),
                    metadata: self.metadata.iter().cloned().collect(),
                }
                .encode_to_vec(),
            }],
            None => Vec::new(),
        };
        Status { code: self.code, message: self.message.clone(), details }
    }
}

impl fmt::Display for DaprError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.reason {
            Some(reason) => write!(f, "{} (code {}): {}", reason, self.code, self.message),
            None => write!(f, "code {}: {}", self.code, self.message),
        }
    }
}

impl std::error::Error for DaprError {}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn status_with_error_info_round_trips() {
        let error = DaprError {
            code: code::ABORTED,
            message: "possible etag mismatch".into(),
            reason: Some("DAPR_STATE_ETAG_MISMATCH".into()),
            metadata: vec![("key".into(), "k".into())],
        };
        let bytes = error.to_status().encode_to_vec();
        assert_eq!(DaprError::from_status_bytes(&bytes), error);
        assert!(error.is("DAPR_STATE_ETAG_MISMATCH"));
    }

    #[test]
    fn bytes_that_are_no_status_are_an_internal_error() {
        let error = DaprError::from_status_bytes(&[0xff, 0xff, 0xff]);
        assert_eq!(error.code, code::INTERNAL);
        assert!(error.message.contains("not a google.rpc.Status"), "{}", error.message);
    }
}
