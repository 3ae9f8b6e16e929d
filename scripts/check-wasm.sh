#!/usr/bin/env bash
# Rebuilds every .wasm from source (components/build.sh: the Rust crates, the C fixtures and the AssemblyScript apps
# under examples/apps) and fails if any committed .wasm differs from what its source builds to.
set -euo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
cd "$top"
components/build.sh
if ! git diff --quiet -- '*.wasm'; then
  echo "ERROR: committed .wasm files differ from a rebuild of their sources:" >&2
  git diff --stat -- '*.wasm' >&2
  exit 1
fi
untracked=$(git ls-files --others --exclude-standard -- '*.wasm')
if [ -n "$untracked" ]; then
  echo "ERROR: the build produced .wasm files that are not committed: $untracked" >&2
  exit 1
fi
echo "wasm: every committed .wasm matches its source"
