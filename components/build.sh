#!/usr/bin/env bash
# Rebuilds every .wasm in this repository from its sources, in place, next to the source:
#   components/<crate>/<crate>.wasm                    (Rust, cargo, wasm32-wasi: every crate of the workspace but pdk)
#   components/fixtures/*.wasm                        (C, clang, wasm32-wasi)
#   examples/apps/<app>/<app>.wasm                      (AssemblyScript apps: every examples/apps/*/assembly/index.ts,
#                                                        with the SDK in app-sdk-as, its compiler pinned by its
#                                                        package-lock.json)
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
for crate in state-in-memory state-redis pubsub-in-memory pubsub-redis secretstores-local-file secretstores-local-env app-contract; do
  artifact="target/wasm32-wasi/release/${crate//-/_}.wasm"
  cp "$artifact" "$crate/$crate.wasm"
  echo "built $crate/$crate.wasm ($(stat -c %s "$crate/$crate.wasm") bytes)"
done

# Example apps in Rust (examples/apps/*, crates of the examples' workspace, the repository's root Cargo.toml, as a
# user's app would be): built with the same flags, their own paths remapped too, into a target directory of their
# own (other flags must not rebuild the components').
repo=$(cd "$here/.." && pwd)
for app in order-service; do
  RUSTFLAGS="$RUSTFLAGS --remap-path-prefix=$repo/examples=/pillion/examples" \
    CARGO_TARGET_DIR="$here/target/examples" \
    /usr/bin/cargo build --offline --release --target wasm32-wasi --quiet \
    --manifest-path "$repo/examples/apps/$app/Cargo.toml"
  cp "target/examples/wasm32-wasi/release/${app//-/_}.wasm" "$repo/examples/apps/$app/$app.wasm"
  echo "built examples/apps/$app/$app.wasm ($(stat -c %s "$repo/examples/apps/$app/$app.wasm") bytes)"
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

# AssemblyScript apps: node_modules of the SDK from its lock file (again only when the lock file changed since the
# last install), then each app with the SDK's build script, whose flags are the same for every app.
sdk="$here/app-sdk-as"
if [ ! -f "$sdk/node_modules/.package-lock.json" ] || [ "$sdk/package-lock.json" -nt "$sdk/node_modules/.package-lock.json" ]; then
  (cd "$sdk" && npm ci --no-audit --no-fund --loglevel=error)
fi
for entry in "$here"/../examples/apps/*/assembly/index.ts; do
  [ -e "$entry" ] || continue
  app=$(cd "$(dirname "$entry")/.." && pwd)
  out="$app/$(basename "$app").wasm"
  "$sdk/scripts/build-app.sh" "$entry" "$out"
  echo "built ${out#"$(cd "$here/.." && pwd)/"} ($(stat -c %s "$out") bytes)"
done
