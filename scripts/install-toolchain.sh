#!/usr/bin/env bash
# Installs everything the build and the tests need on a fresh Debian machine (run as root, or with sudo present):
# Java 17 + Maven are expected on the machine; this adds the Wasm toolchains (Rust for wasm32-wasi, clang for C
# fixtures), protoc for prost, redis-server and openssl (test certificates) for the Redis tests, and Node.js with npm
# for the JS SDK test, whose dependencies (the official Dapr JS SDK, pinned by sdk-tests/js/package-lock.json) it then
# installs with `npm ci`, and for the AssemblyScript app SDK (components/app-sdk-as: its compiler, pinned by its
# package-lock.json, is installed with `npm ci` by components/build.sh).
# Safe to run again.
set -euo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
packages=(rustc cargo libstd-rust-dev-wasm32 librust-prost-dev librust-prost-derive-dev librust-prost-build-dev
  protobuf-compiler clang lld wasi-libc libclang-rt-dev-wasm32 redis-server openssl nodejs)
missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
# Debian packages npm on its own; a nodejs from elsewhere (NodeSource) brings its own npm.
command -v npm >/dev/null || missing+=(npm)
if [ ${#missing[@]} -eq 0 ]; then
  echo "toolchain: all packages present"
else
  SUDO=""
  [ "$(id -u)" -eq 0 ] || SUDO="sudo"
  echo "toolchain: installing ${missing[*]}"
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq "${missing[@]}" >/dev/null
fi
# The JS SDK test's node_modules, again only when the lock file changed since the last install.
js="$top/sdk-tests/js"
if [ ! -f "$js/node_modules/.package-lock.json" ] || [ "$js/package-lock.json" -nt "$js/node_modules/.package-lock.json" ]; then
  echo "toolchain: npm ci in sdk-tests/js"
  (cd "$js" && npm ci --no-audit --no-fund --loglevel=error)
fi
