#!/usr/bin/env bash
# Runs Pillion on the module path, so that the module descriptors (module-info.java) are exercised and not only
# compiled: the embedded example with pillion-core's runtime closure as modules, and `pillion run` as
# `-m dev.pillion.cli/...` with a Subscription whose routing rules need CEL, answering a state save and get.
# Needs the jars built (mvn package or verify). Tests run on the class path (docs/decisions.md), hence this check.
set -euo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
cd "$top"
work=$(mktemp -d)
server=""
app=""
cleanup() {
  if [ -n "$server" ]; then kill "$server" 2>/dev/null || true; wait "$server" 2>/dev/null || true; fi
  if [ -n "$app" ]; then kill "$app" 2>/dev/null || true; wait "$app" 2>/dev/null || true; fi
  rm -rf "$work"
}
trap cleanup EXIT

# The runtime class paths of the two applications, from one Maven run that packages the reactor's own jars (so
# never an older installed copy); each module writes its list to its own target/ (a relative outputFile resolves
# against the module).
mvn -q -o -ntp -pl examples/embedded-state,pillion-cli -am -DskipTests package dependency:build-classpath \
  -DincludeScope=runtime -Dmdep.outputFile=target/runtime-classpath.txt >/dev/null
runtime_path() {
  cat "$1/target/runtime-classpath.txt"
}

# Annotation-only jars that split the javax.annotation package on a pure module path; nothing needs them at run
# time, so they go on the class path (docs/decisions.md, "module-info.java per jar").
split_annotation_jars='jsr305|/annotations-[0-9]|jcip-annotations|animal-sniffer-annotations|android/annotations'

echo "module path: embedded API (examples/embedded-state)"
core_path=$(runtime_path examples/embedded-state)
java -p "$core_path" --add-modules dev.pillion.core -cp examples/embedded-state/target/classes \
  dev.pillion.examples.EmbeddedState examples/embedded-state/components >"$work/embedded.out" 2>&1 || {
  cat "$work/embedded.out"
  echo "module path: the embedded example failed" >&2
  exit 1
}
grep -q "get order-1" "$work/embedded.out" || {
  cat "$work/embedded.out"
  echo "module path: the embedded example did not read its state" >&2
  exit 1
}

echo "module path: pillion run (-m dev.pillion.cli)"
cli_path=$(runtime_path pillion-cli):pillion-cli/target/classes
modules=$(tr ':' '\n' <<<"$cli_path" | grep -Ev "$split_annotation_jars" | paste -sd: -)
annotations=$(tr ':' '\n' <<<"$cli_path" | grep -E "$split_annotation_jars" | paste -sd: - || true)
mkdir -p "$work/resources"
cat >"$work/resources/components.yaml" <<'EOF'
apiVersion: dapr.io/v1alpha1
kind: Component
metadata:
  name: statestore
spec:
  type: state.in-memory
  version: v1
---
apiVersion: dapr.io/v1alpha1
kind: Component
metadata:
  name: pubsub
spec:
  type: pubsub.in-memory
  version: v1
---
apiVersion: dapr.io/v2alpha1
kind: Subscription
metadata:
  name: orders
spec:
  pubsubname: pubsub
  topic: orders
  routes:
    rules:
      - match: event.type == "order.created"
        path: /created
    default: /orders
EOF
free_port() {
  python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}
# Declared subscriptions start once the app answers; a static file server is app enough (no programmatic ones).
mkdir -p "$work/app/dapr"
echo '[]' >"$work/app/dapr/subscribe"
app_port=$(free_port)
python3 -m http.server "$app_port" --bind 127.0.0.1 --directory "$work/app" >"$work/app.out" 2>&1 &
app=$!
port=$(free_port)
java -Dsun.net.httpserver.nodelay=true -p "$modules" ${annotations:+-cp "$annotations"} \
  -m dev.pillion.cli/dev.pillion.cli.PillionCli run --app-id modules --resources-path "$work/resources" \
  --dapr-http-port "$port" --dapr-grpc-port 0 --app-port "$app_port" >"$work/cli.out" 2>&1 &
server=$!
for _ in $(seq 1 120); do
  if grep -q '"/created"' <<<"$(curl -fsS "http://127.0.0.1:$port/v1.0/metadata" 2>/dev/null)"; then break; fi
  if ! kill -0 "$server" 2>/dev/null; then
    cat "$work/cli.out"
    echo "module path: pillion run exited" >&2
    exit 1
  fi
  sleep 0.5
done
curl -fsS -X POST "http://127.0.0.1:$port/v1.0/state/statestore" -H 'content-type: application/json' \
  -d '[{"key":"order-1","value":{"item":"book"}}]'
answer=$(curl -fsS "http://127.0.0.1:$port/v1.0/state/statestore/order-1")
metadata=$(curl -fsS "http://127.0.0.1:$port/v1.0/metadata")
if [ "$answer" != '{"item":"book"}' ] || ! grep -q '"/created"' <<<"$metadata"; then
  cat "$work/cli.out"
  echo "module path: state answered '$answer'; metadata: $metadata" >&2
  exit 1
fi
echo "module path: ok"
