#!/usr/bin/env bash
# Installs everything the build and the tests need on a fresh Debian machine (run as root, or with sudo present):
# Java 17 + Maven are expected on the machine; this adds the Wasm toolchains (Rust for wasm32-wasi, clang for C
# fixtures), protoc for prost, and redis-server for the Redis tests. Safe to run again.
set -euo pipefail
packages=(rustc cargo libstd-rust-dev-wasm32 librust-prost-dev librust-prost-derive-dev librust-prost-build-dev
  protobuf-compiler clang lld wasi-libc libclang-rt-dev-wasm32 redis-server)
missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -eq 0 ]; then
  echo "toolchain: all packages present"
  exit 0
fi
SUDO=""
[ "$(id -u)" -eq 0 ] || SUDO="sudo"
echo "toolchain: installing ${missing[*]}"
$SUDO apt-get update -qq
DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq "${missing[@]}" >/dev/null
