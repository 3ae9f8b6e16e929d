#!/usr/bin/env bash
# Soak test, not run in CI: mixed state and pub/sub load on an embedded runtime while hostile components trap,
# loop, exhaust memory and attack the host through WASI and the ABI, for N minutes (default 5). Fails if any
# acknowledged write, counter increment or published event is lost.
#   scripts/soak.sh [minutes]
set -euo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
cd "$top"
mvn -q -ntp install -DskipTests
java -cp pillion-benchmarks/target/benchmarks.jar dev.pillion.benchmarks.Soak "${1:-5}" components/fixtures
