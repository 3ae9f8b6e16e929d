#!/usr/bin/env bash
# Rebuilds every .wasm in this repository from its sources, in place, next to the source:
#   components/<crate>/<crate>.wasm                    (Rust, cargo, wasm32-wasi: every crate of the workspace but pdk)
#   components/fixtures/*.wasm                        (C, clang, wasm32-wasi)
# Builds are reproducible: CI runs this script and fails if any committed .wasm changed (scripts/check-wasm.sh).
# Uses Debian's rustc/cargo (not a rustup toolchain that may come first on PATH) and Debian's crates only.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
cd "$here"

export RUSTC=/usr/bin/rustc
export CARGO_HOME="$here/.cargo-home"   # isolates us from a user's ~/.cargo config
mkdir -p "$CARGO_HOME"
# Keep file paths out of the binaries so the bytes do not depend on where the repo is checked out.
export RUSTFLAGS="--remap-path-prefix=$here=/pillion/components -C target-feature=+bulk-memory"
/usr/bin/cargo build --offline --release --target wasm32-wasi --quiet
for crate in state-in-memory state-redis pubsub-in-memory pubsub-redis secretstores-local-file secretstores-local-env; do
  artifact="target/wasm32-wasi/release/${crate//-/_}.wasm"
  cp "$artifact" "$crate/$crate.wasm"
  echo "built $crate/$crate.wasm ($(stat -c %s "$crate/$crate.wasm") bytes)"
done

# C fixtures: each fixtures/<name>.c becomes fixtures/<name>.wasm. The first line of each source names its exec
# model ("// exec-model: command" or "// exec-model: reactor"); a second line "// allocator: own" means the source
# exports its own malloc and free, so wasi-libc's are not exported.
for src in fixtures/*.c; do
  name=${src%.c}
  model=$(sed -n '1s|^// exec-model: *||p' "$src")
  model=${model:-reactor}
  allocator=(-Wl,--export=malloc -Wl,--export=free)
  if sed -n '2p' "$src" | grep -q '^// allocator: own'; then
    allocator=()
  fi
  clang --target=wasm32-wasi -mexec-model="$model" -O2 -g0 -nostdlib++ \
    -ffile-prefix-map="$here=/pillion/components" \
    -Wall -Werror -Wl,--strip-all "${allocator[@]}" \
    -o "$name.wasm" "$src"
  echo "built $name.wasm ($(stat -c %s "$name.wasm") bytes)"
done
