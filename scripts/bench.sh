#!/usr/bin/env bash
# Builds the benchmarks and runs the whole suite (about 10 minutes on 2 cores). Prints Markdown for
# docs/benchmarks.md and keeps a copy in target/bench.md. Extra arguments go to the JVM.
set -euo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
cd "$top"
mvn -q -ntp install -DskipTests
mkdir -p target
java "$@" -cp pillion-benchmarks/target/benchmarks.jar dev.pillion.benchmarks.BenchmarkSuite 2>/dev/null \
  | sed -n '/^### /,$p' | tee target/bench.md
