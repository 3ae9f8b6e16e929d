#!/usr/bin/env bash
# Builds the benchmarks and runs the suite: `scripts/bench.sh` runs everything (about 20 minutes on 2 cores), or
# name parts: `state` (embedded state), `api` (the four API paths and the fixed-rate server load), `pubsub`
# (in-process and server-mode delivery), `invoke` (service invocation), `apps` (Wasm apps), `redis` (the delivered
# throughput of pubsub.redis). Prints Markdown for docs/benchmarks.md and keeps a copy in target/bench.md.
set -euo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
cd "$top"
mvn -q -ntp install -DskipTests
mkdir -p target
java -cp pillion-benchmarks/target/benchmarks.jar dev.pillion.benchmarks.BenchmarkSuite "$@" 2>/dev/null \
  | sed -n '/^### /,$p' | tee target/bench.md
