// Generates Dapr's messages of the app ABI (docs/abi.md, "Wasm apps"): the runtime and common subsets in proto/
// (scripts/guest-protos/generate.sh) and the internal invocation protocol the Java side generates from ../../proto.
fn main() {
    let own = "proto";
    let shared = "../../proto";
    let files = [
        format!("{}/dapr/proto/runtime/v1/runtime.proto", own),
        format!("{}/google/rpc/rpc.proto", own),
        format!("{}/dapr/proto/internals/v1/service_invocation.proto", shared),
    ];
    println!("cargo:rerun-if-changed={}", own);
    for file in &files {
        println!("cargo:rerun-if-changed={}", file);
    }
    if std::env::var_os("PROTOC").is_none() {
        std::env::set_var("PROTOC", "/usr/bin/protoc");
    }
    prost_build::Config::new()
        .compile_protos(&files, &[own, shared])
        .expect("compiling Dapr's app messages (needs protoc: apt-get install protobuf-compiler)");
}
