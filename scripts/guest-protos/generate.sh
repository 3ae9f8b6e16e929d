#!/usr/bin/env bash
# Regenerates components/app-sdk/proto/ (the Dapr messages Wasm app guests compile) from the descriptors of the
# pinned Dapr Java SDK's generated classes (names, numbers and types only): see GuestProtos.java.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
m2=${MAVEN_REPO:-$HOME/.m2/repository}
cp=$(ls "$m2"/io/dapr/dapr-sdk-autogen/1.17.1/dapr-sdk-autogen-1.17.1.jar \
  "$m2"/com/google/protobuf/protobuf-java/4.32.1/protobuf-java-4.32.1.jar \
  "$m2"/com/google/api/grpc/proto-google-common-protos/2.63.2/proto-google-common-protos-2.63.2.jar \
  "$m2"/io/grpc/grpc-api/*/grpc-api-*.jar "$m2"/io/grpc/grpc-stub/*/grpc-stub-*.jar \
  "$m2"/io/grpc/grpc-protobuf/*/grpc-protobuf-*.jar "$m2"/io/grpc/grpc-protobuf-lite/*/grpc-protobuf-lite-*.jar \
  "$m2"/com/google/guava/guava/*/guava-*.jar 2>/dev/null | grep -v sources | tr '\n' ':')
rm -rf "$root/components/app-sdk/proto"
java -cp "$cp" "$here/GuestProtos.java" "$root/components/app-sdk/proto"
