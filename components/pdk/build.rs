// Generates the contract's Rust types from the repository's proto files (the same files Java generates from).
fn main() {
    let proto_dir = "../../proto";
    let state = format!("{}/state/state.proto", proto_dir);
    let pubsub = format!("{}/pubsub/pubsub.proto", proto_dir);
    let keyvalue = format!("{}/keyvalue/keyvalue.proto", proto_dir);
    let secretstores = format!("{}/secretstores/secretstores.proto", proto_dir);
    let redis = format!("{}/redis/redis.proto", proto_dir);
    println!("cargo:rerun-if-changed={}", state);
    println!("cargo:rerun-if-changed={}", pubsub);
    println!("cargo:rerun-if-changed={}", keyvalue);
    println!("cargo:rerun-if-changed={}", secretstores);
    println!("cargo:rerun-if-changed={}", redis);
    if std::env::var_os("PROTOC").is_none() {
        std::env::set_var("PROTOC", "/usr/bin/protoc");
    }
    prost_build::Config::new()
        .compile_protos(&[state.as_str(), pubsub.as_str(), keyvalue.as_str(), secretstores.as_str(), redis.as_str()], &[proto_dir])
        .expect("compiling the contracts in proto/ (needs protoc: apt-get install protobuf-compiler)");
}
