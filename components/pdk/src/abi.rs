//! The memory side of the ABI (docs/abi.md, version 2): decoding requests from linear memory and handing responses
//! and errors back as malloc'ed blocks the host frees.

use crate::Error;
use prost::Message;

/// The ABI version components built with this PDK speak.
pub const API_VERSION: u64 = 2;

const ERROR_FLAG: u64 = 1 << 31;

extern "C" {
    // wasi-libc's allocator: the same one Rust's global allocator uses on wasm32-wasi, and the one the module
    // exports as `malloc`/`free` (see the component's build.rs), so the host can free what we return.
    fn malloc(size: usize) -> *mut u8;
}

/// Packs a block as `(ptr << 32) | len`.
pub fn pack(ptr: *const u8, len: u32) -> u64 {
    ((ptr as usize as u64) << 32) | u64::from(len)
}

/// Borrows the request the host wrote at `ptr`.
///
/// # Safety
/// `ptr..ptr+len` must be memory the host wrote for this call (or `len == 0`).
pub unsafe fn request<'a>(ptr: u32, len: u32) -> &'a [u8] {
    if len == 0 {
        &[]
    } else {
        std::slice::from_raw_parts(ptr as usize as *const u8, len as usize)
    }
}

/// Encodes a response into a fresh malloc block; an empty encoding is 0.
///
/// Never inlined, like [`decode`]: a method's protobuf code stays out of its body, so the bodies stay small enough
/// for the JVM to compile (docs/decisions.md, "Guest functions stay small").
#[inline(never)]
pub fn respond<M: Message>(message: &M) -> u64 {
    let len = message.encoded_len();
    if len == 0 {
        return 0;
    }
    match block(len) {
        Some(slice) => {
            let ptr = slice.as_ptr();
            let mut out: &mut [u8] = slice;
            if message.encode(&mut out).is_err() {
                return error(&Error::Internal("response encoding failed".into()));
            }
            pack(ptr, len as u32)
        }
        None => error_static("out of memory encoding the response"),
    }
}

/// Copies already-encoded response bytes into a fresh malloc block; empty is 0.
pub fn respond_bytes(encoded: &[u8]) -> u64 {
    if encoded.is_empty() {
        return 0;
    }
    match block(encoded.len()) {
        Some(slice) => {
            slice.copy_from_slice(encoded);
            pack(slice.as_ptr(), encoded.len() as u32)
        }
        None => error_static("out of memory copying the response"),
    }
}

/// Returns an error message block with bit 31 of the length set.
#[inline(never)]
pub fn error(error: &Error) -> u64 {
    let message = error.to_abi_message();
    let bytes = message.as_bytes();
    let len = bytes.len().min(ERROR_FLAG as usize - 1);
    match block(len.max(1)) {
        Some(slice) => {
            slice[..len].copy_from_slice(&bytes[..len]);
            pack(slice.as_ptr(), len as u32) | ERROR_FLAG
        }
        // Without memory the message cannot be returned; an empty error still tells the host the call failed.
        None => ERROR_FLAG,
    }
}

fn error_static(text: &str) -> u64 {
    error(&Error::Internal(text.to_string()))
}

fn block<'a>(len: usize) -> Option<&'a mut [u8]> {
    // SAFETY: malloc returns null or a block of at least `len` bytes that nothing else references.
    unsafe {
        let ptr = malloc(len);
        if ptr.is_null() {
            None
        } else {
            Some(std::slice::from_raw_parts_mut(ptr, len))
        }
    }
}

/// Decodes a request; a malformed one becomes the packed `INVALID_ARGUMENT` error to return.
///
/// # Safety
/// As [`request`].
#[inline(never)]
pub unsafe fn decode<Req: Message + Default>(ptr: u32, len: u32) -> Result<Req, u64> {
    Req::decode(request(ptr, len)).map_err(|e| {
        error(&Error::InvalidArgument(format!(
            "malformed {}: {}",
            std::any::type_name::<Req>().rsplit("::").next().unwrap_or("request"),
            e
        )))
    })
}

/// Decodes a `GetRequest` that carries only its key, the common case on the hot path, without the general decoder;
/// `None` for anything else (the caller then decodes normally).
pub fn key_only_get_request(bytes: &[u8]) -> Option<crate::state::GetRequest> {
    // Field 1 (key), wire type 2, then a length of one or two varint bytes, then exactly that many bytes.
    let (&tag, rest) = bytes.split_first()?;
    if tag != 0x0a {
        return None;
    }
    let (len, rest) = match rest {
        [l, tail @ ..] if *l < 0x80 => (*l as usize, tail),
        [l0, l1, tail @ ..] if *l0 >= 0x80 && *l1 < 0x80 => (((*l0 & 0x7f) as usize) | ((*l1 as usize) << 7), tail),
        _ => return None,
    };
    if rest.len() != len {
        return None;
    }
    let key = std::str::from_utf8(rest).ok()?;
    Some(crate::state::GetRequest { key: key.to_string(), ..Default::default() })
}

/// Decodes the request, runs `f`, and encodes its result or error: the body of every exported method.
///
/// # Safety
/// As [`request`].
pub unsafe fn handle<Req, Resp, F>(ptr: u32, len: u32, f: F) -> u64
where
    Req: Message + Default,
    Resp: Message,
    F: FnOnce(Req) -> Result<Resp, Error>,
{
    let req = match decode::<Req>(ptr, len) {
        Ok(req) => req,
        Err(packed_error) => return packed_error,
    };
    match f(req) {
        Ok(resp) => respond(&resp),
        Err(e) => error(&e),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::state::{GetRequest, GetStateOption};

    #[test]
    fn key_only_requests_decode_like_prost() {
        for key in ["k", "orders||order-1", &"x".repeat(200)] {
            let request = GetRequest { key: key.to_string(), ..Default::default() };
            let bytes = request.encode_to_vec();
            assert_eq!(key_only_get_request(&bytes), Some(request));
        }
        let with_options = GetRequest {
            key: "k".into(),
            options: Some(GetStateOption { consistency: "strong".into() }),
            ..Default::default()
        };
        assert_eq!(key_only_get_request(&with_options.encode_to_vec()), None);
        assert_eq!(key_only_get_request(&[]), None);
        assert_eq!(key_only_get_request(&[0x0a, 5, b'a']), None);
        assert_eq!(key_only_get_request(&[0x0a, 1, 0xff]), None);
    }
}
