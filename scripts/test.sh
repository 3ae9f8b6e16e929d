#!/usr/bin/env bash
# Runs every test on a fresh machine: installs the toolchains (Debian packages), rebuilds every .wasm from source and
# fails if a committed .wasm differs, runs the Rust unit tests and the AssemblyScript app SDK's, the whole Maven build
# with its tests, then a bounded fuzzing run of every Jazzer fuzz test (10 s each; scripts/fuzz.sh and
# docs/fuzzing.md for longer runs).
set -euo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
cd "$top"
scripts/install-toolchain.sh
scripts/check-wasm.sh
(cd components && CARGO_HOME="$top/components/.cargo-home" RUSTC=/usr/bin/rustc RUSTDOC=/usr/bin/rustdoc /usr/bin/cargo test --offline --quiet)
(cd components/app-sdk-as && npm test --silent)
mvn -B -ntp verify
scripts/check-module-path.sh
scripts/fuzz.sh 10
