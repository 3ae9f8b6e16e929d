//! Errors a component returns to the host. ABI version 2 carries them as UTF-8 text with an optional code prefix
//! (`ETAG_MISMATCH: ...`) that the host maps to typed exceptions.

use std::fmt;

/// An error returned from a component method.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Error {
    /// The etag given does not match the stored item's (or first-write found an existing item).
    EtagMismatch(String),
    /// The etag is not one this store could have issued.
    EtagInvalid(String),
    /// A request field is invalid; name the field.
    InvalidArgument(String),
    /// The item the request names does not exist where the contract makes that an error (a secret a secret store
    /// does not have); the text names the item.
    NotFound(String),
    /// The operation or option is not supported by this component.
    NotSupported(String),
    /// A limit refused the request (the store's capacity, a size or count limit); the text names the limit. Nothing
    /// was changed.
    ResourceExhausted(String),
    /// Anything else (a backend failure, ...).
    Internal(String),
}

impl Error {
    /// An etag mismatch about one key; the host names the key to the application.
    pub fn etag_mismatch(key: &str, detail: &str) -> Error {
        Error::EtagMismatch(format!("key '{}': {}", key, detail))
    }

    /// An invalid etag for one key.
    pub fn etag_invalid(key: &str, detail: &str) -> Error {
        Error::EtagInvalid(format!("key '{}': {}", key, detail))
    }

    /// The code the ABI message starts with, if any.
    pub fn code(&self) -> Option<&'static str> {
        match self {
            Error::EtagMismatch(_) => Some("ETAG_MISMATCH"),
            Error::EtagInvalid(_) => Some("ETAG_INVALID"),
            Error::InvalidArgument(_) => Some("INVALID_ARGUMENT"),
            Error::NotFound(_) => Some("NOT_FOUND"),
            Error::NotSupported(_) => Some("NOT_SUPPORTED"),
            Error::ResourceExhausted(_) => Some("RESOURCE_EXHAUSTED"),
            Error::Internal(_) => None,
        }
    }

    /// The text without the code.
    pub fn text(&self) -> &str {
        match self {
            Error::EtagMismatch(t)
            | Error::EtagInvalid(t)
            | Error::InvalidArgument(t)
            | Error::NotFound(t)
            | Error::NotSupported(t)
            | Error::ResourceExhausted(t)
            | Error::Internal(t) => t,
        }
    }

    /// The message as it crosses the ABI: `CODE: text`, or just the text.
    pub fn to_abi_message(&self) -> String {
        match self.code() {
            Some(code) => format!("{}: {}", code, self.text()),
            None => self.text().to_string(),
        }
    }
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.to_abi_message())
    }
}

impl std::error::Error for Error {}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn abi_messages_carry_their_code() {
        assert_eq!(
            Error::etag_mismatch("k", "etag differs").to_abi_message(),
            "ETAG_MISMATCH: key 'k': etag differs"
        );
        assert_eq!(Error::InvalidArgument("bad".into()).to_abi_message(), "INVALID_ARGUMENT: bad");
        assert_eq!(Error::NotSupported("no".into()).to_abi_message(), "NOT_SUPPORTED: no");
        assert_eq!(Error::NotFound("secret s not found".into()).to_abi_message(), "NOT_FOUND: secret s not found");
        assert_eq!(Error::Internal("boom".into()).to_abi_message(), "boom");
        assert_eq!(Error::ResourceExhausted("full".into()).to_abi_message(), "RESOURCE_EXHAUSTED: full");
        assert_eq!(Error::etag_invalid("k", "x").code(), Some("ETAG_INVALID"));
    }
}
