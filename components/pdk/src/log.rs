//! Logging through the host: lines appear under the component's logger (`dev.pillion.component.<name>`).

#[cfg(target_arch = "wasm32")]
#[link(wasm_import_module = "env")]
extern "C" {
    fn pillion_v1_log(level: i32, ptr: *const u8, len: usize);
}

fn log(level: i32, message: &str) {
    #[cfg(target_arch = "wasm32")]
    // SAFETY: the host reads `len` bytes at `ptr` during the call only.
    unsafe {
        pillion_v1_log(level, message.as_ptr(), message.len())
    }
    #[cfg(not(target_arch = "wasm32"))]
    eprintln!("[{}] {}", level, message);
}

/// Logs at trace level.
pub fn trace(message: &str) {
    log(0, message)
}

/// Logs at debug level.
pub fn debug(message: &str) {
    log(1, message)
}

/// Logs at info level.
pub fn info(message: &str) {
    log(2, message)
}

/// Logs at warn level.
pub fn warn(message: &str) {
    log(3, message)
}

/// Logs at error level.
pub fn error(message: &str) {
    log(4, message)
}
