#!/usr/bin/env bash
# Builds the benchmarks and runs the suite: `scripts/bench.sh` runs everything (about 20 minutes on 2 cores),
# `scripts/bench.sh state` the embedded state benchmarks (issue 1 of 3), `scripts/bench.sh api` the four API paths
# and the fixed-rate server load (issue 2 of 3), `scripts/bench.sh redis` the delivered throughput of pubsub.redis
# (issue 12). Prints Markdown for docs/benchmarks.md and keeps a copy in target/bench.md.
set -euo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
cd "$top"
mvn -q -ntp install -DskipTests
mkdir -p target
java -cp pillion-benchmarks/target/benchmarks.jar dev.pillion.benchmarks.BenchmarkSuite "$@" 2>/dev/null \
  | sed -n '/^### /,$p' | tee target/bench.md
