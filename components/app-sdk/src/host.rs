//! The calls into the runtime: the imports of module `pillion_dapr_v1` (docs/abi.md, "Dapr imports").
//!
//! An import takes a request's bytes and answers a block the host allocated with the module's `malloc`, packed as
//! `(ptr << 32) | len`; bit 31 of `len` marks an error block (a `google.rpc.Status`). The guest frees the block.

/// The runtime's methods, one import each.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Import {
    GetState,
    GetBulkState,
    SaveState,
    DeleteState,
    DeleteBulkState,
    ExecuteStateTransaction,
    PublishEvent,
    BulkPublishEvent,
    InvokeService,
    GetSecret,
    GetBulkSecret,
    GetMetadata,
}

impl Import {
    /// The import's name in module `pillion_dapr_v1`.
    pub fn name(self) -> &'static str {
        match self {
            Import::GetState => "get_state",
            Import::GetBulkState => "get_bulk_state",
            Import::SaveState => "save_state",
            Import::DeleteState => "delete_state",
            Import::DeleteBulkState => "delete_bulk_state",
            Import::ExecuteStateTransaction => "execute_state_transaction",
            Import::PublishEvent => "publish_event",
            Import::BulkPublishEvent => "bulk_publish_event",
            Import::InvokeService => "invoke_service",
            Import::GetSecret => "get_secret",
            Import::GetBulkSecret => "get_bulk_secret",
            Import::GetMetadata => "get_metadata",
        }
    }
}

/// Where calls go: the runtime ([`WasmHost`]) or, in unit tests on the build machine, a fake.
pub trait Host {
    /// Runs `import` with an encoded request: the encoded response, or the encoded `google.rpc.Status` of its error.
    fn call(&self, import: Import, request: &[u8]) -> Result<Vec<u8>, Vec<u8>>;
}

/// The runtime hosting this module.
#[derive(Clone, Copy, Debug, Default)]
pub struct WasmHost;

#[cfg_attr(not(target_arch = "wasm32"), allow(dead_code))]
const ERROR_FLAG: u64 = 1 << 31;

/// Takes ownership of a block the host returned: copies it out and frees it.
#[cfg(target_arch = "wasm32")]
fn take(packed: u64) -> Result<Vec<u8>, Vec<u8>> {
    extern "C" {
        fn free(ptr: *mut u8);
    }
    let ptr = (packed >> 32) as usize as *mut u8;
    let len = (packed & (ERROR_FLAG - 1)) as usize;
    let bytes = if ptr.is_null() || len == 0 {
        Vec::new()
    } else {
        // SAFETY: the host wrote `len` bytes at `ptr`, a block it obtained from our malloc for this call.
        unsafe { std::slice::from_raw_parts(ptr, len).to_vec() }
    };
    if !ptr.is_null() {
        // SAFETY: the block came from our malloc and nothing else refers to it.
        unsafe { free(ptr) };
    }
    if packed & ERROR_FLAG != 0 {
        Err(bytes)
    } else {
        Ok(bytes)
    }
}

#[cfg(target_arch = "wasm32")]
mod imports {
    #[link(wasm_import_module = "pillion_dapr_v1")]
    extern "C" {
        pub fn get_state(ptr: u32, len: u32) -> u64;
        pub fn get_bulk_state(ptr: u32, len: u32) -> u64;
        pub fn save_state(ptr: u32, len: u32) -> u64;
        pub fn delete_state(ptr: u32, len: u32) -> u64;
        pub fn delete_bulk_state(ptr: u32, len: u32) -> u64;
        pub fn execute_state_transaction(ptr: u32, len: u32) -> u64;
        pub fn publish_event(ptr: u32, len: u32) -> u64;
        pub fn bulk_publish_event(ptr: u32, len: u32) -> u64;
        pub fn invoke_service(ptr: u32, len: u32) -> u64;
        pub fn get_secret(ptr: u32, len: u32) -> u64;
        pub fn get_bulk_secret(ptr: u32, len: u32) -> u64;
        pub fn get_metadata(ptr: u32, len: u32) -> u64;
    }
}

#[cfg(target_arch = "wasm32")]
impl Host for WasmHost {
    fn call(&self, import: Import, request: &[u8]) -> Result<Vec<u8>, Vec<u8>> {
        let ptr = request.as_ptr() as usize as u32;
        let len = request.len() as u32;
        // SAFETY: the host reads `len` bytes at `ptr` (our request) and returns a block it allocated for us.
        let packed = unsafe {
            match import {
                Import::GetState => imports::get_state(ptr, len),
                Import::GetBulkState => imports::get_bulk_state(ptr, len),
                Import::SaveState => imports::save_state(ptr, len),
                Import::DeleteState => imports::delete_state(ptr, len),
                Import::DeleteBulkState => imports::delete_bulk_state(ptr, len),
                Import::ExecuteStateTransaction => imports::execute_state_transaction(ptr, len),
                Import::PublishEvent => imports::publish_event(ptr, len),
                Import::BulkPublishEvent => imports::bulk_publish_event(ptr, len),
                Import::InvokeService => imports::invoke_service(ptr, len),
                Import::GetSecret => imports::get_secret(ptr, len),
                Import::GetBulkSecret => imports::get_bulk_secret(ptr, len),
                Import::GetMetadata => imports::get_metadata(ptr, len),
            }
        };
        take(packed)
    }
}

/// Off Wasm there is no runtime to call: every call fails with `UNAVAILABLE` (tests use a fake [`Host`]).
#[cfg(not(target_arch = "wasm32"))]
impl Host for WasmHost {
    fn call(&self, import: Import, _request: &[u8]) -> Result<Vec<u8>, Vec<u8>> {
        use prost::Message;
        let status = crate::proto::rpc::Status {
            code: crate::error::code::UNAVAILABLE,
            message: format!("{}: no Pillion runtime outside Wasm", import.name()),
            details: Vec::new(),
        };
        Err(status.encode_to_vec())
    }
}
