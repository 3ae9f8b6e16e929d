#!/usr/bin/env bash
# Regenerates assembly/proto/ (Dapr's messages of the app ABI, docs/abi.md "Wasm apps") with as-proto-gen from the
# same .proto files the Rust app SDK compiles: components/app-sdk/proto (runtime, common, google.rpc) and the internal
# invocation protocol in proto/dapr/proto/internals. Needs protoc and `npm ci` in this directory. The output is
# committed: building an app needs neither protoc nor this script.
set -euo pipefail
here=$(cd "$(dirname "$0")/.." && pwd)
components=$(cd "$here/.." && pwd)
shared=$(cd "$components/../proto" && pwd)
out="$here/assembly/proto"
rm -rf "$out"
mkdir -p "$out"
/usr/bin/protoc \
  --plugin=protoc-gen-as="$here/node_modules/.bin/as-proto-gen" \
  --as_out="$out" \
  -I "$components/app-sdk/proto" -I "$shared" \
  dapr/proto/runtime/v1/runtime.proto \
  dapr/proto/common/v1/common.proto \
  google/rpc/rpc.proto \
  dapr/proto/internals/v1/service_invocation.proto
# as-proto-gen stamps its and protoc's versions into every file; both are pinned (package-lock.json, Debian's
# protobuf-compiler), so the stamp stays and a diff after regenerating means a real change.
find "$out" -name '*.ts' | sort
