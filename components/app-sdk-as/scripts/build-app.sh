#!/usr/bin/env bash
# Compiles an AssemblyScript app written with this SDK into a Wasm app module (docs/abi.md, "Wasm apps"):
#   scripts/build-app.sh <entry.ts> <out.wasm>
# Run from anywhere; needs `npm ci` in components/app-sdk-as. The flags are the SDK's, so every app is built alike:
#   --exportStart _initialize   top-level code (handler registration) runs as a WASI reactor's _initialize, which the
#                                host calls once per instance, instead of a start section
#   --use abort=...              AssemblyScript's abort (assertions, bounds checks, throw) logs and traps
#                                (assembly/abort.ts): the host grants no env.abort
#   -O3                          assertions stay (no --noAssert): the decoders' bounds checks are what stops a
#                                malformed message
# The entry's path must lie inside the repository (the abort alias names the SDK by its path from the root).
set -euo pipefail
sdk=$(cd "$(dirname "$0")/.." && pwd)
root=$(cd "$sdk/../.." && pwd)
[ $# -eq 2 ] || { echo "usage: $0 <entry.ts> <out.wasm>" >&2; exit 2; }
entry=$(realpath --relative-to="$root" "$1")
out=$(realpath -m --relative-to="$root" "$2")
cd "$root"
# Paths are given relative to the repository root so nothing of the checkout's location reaches the module.
"$sdk/node_modules/.bin/asc" "$entry" --outFile "$out" \
  -O3 --exportStart _initialize \
  --use abort=components/app-sdk-as/assembly/abort/abortWithTrap \
  --path components/app-sdk-as/node_modules
