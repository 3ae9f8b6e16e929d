// The build script of every component crate (each names it as `build` in its Cargo.toml).
//
// The host allocates requests with, and frees responses with, the module's malloc and free: export wasi-libc's.
//
// A reactor: link wasi-libc's crt1-reactor.o, whose exported `_initialize` runs the constructors once (the host calls
// it after instantiating). Without it, wasm-ld treats the cdylib as a command and wraps every export in a call to
// `__wasm_call_ctors`, so each call ran wasi-libc's constructors again, and the one that copies the environment
// malloc'ed a new copy per call: a component granted environment variables leaked it until it ran out of memory.
fn main() {
    if std::env::var("CARGO_CFG_TARGET_ARCH").as_deref() != Ok("wasm32") {
        return;
    }
    println!("cargo:rustc-cdylib-link-arg=--export=malloc");
    println!("cargo:rustc-cdylib-link-arg=--export=free");
    let rustc = std::env::var("RUSTC").unwrap_or_else(|_| "rustc".to_string());
    let sysroot = std::process::Command::new(&rustc)
        .args(["--print", "sysroot"])
        .output()
        .expect("running rustc --print sysroot");
    let sysroot = String::from_utf8(sysroot.stdout).expect("a UTF-8 sysroot");
    let target = std::env::var("TARGET").expect("cargo sets TARGET");
    let reactor = std::path::Path::new(sysroot.trim())
        .join("lib/rustlib")
        .join(target)
        .join("lib/self-contained/crt1-reactor.o");
    assert!(reactor.exists(), "wasi-libc's {} is missing (Debian: libstd-rust-dev-wasm32)", reactor.display());
    println!("cargo:rustc-cdylib-link-arg={}", reactor.display());
}
