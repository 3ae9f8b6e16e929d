// Runs the SDK's unit tests (tests/sdk.test.ts): compiles them with the SDK's build script, then calls every export
// test_* (which must return) and trap_* (which must trap, after logging why through env.pillion_v1_log) against a
// fake host that answers each Dapr import with what the test scripted and records what it was sent.
import { execFileSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

const sdk = join(dirname(fileURLToPath(import.meta.url)), "..");
const work = mkdtempSync(join(tmpdir(), "pillion-app-sdk-as-"));
const wasm = join(work, "sdk.test.wasm");
try {
  execFileSync(join(sdk, "scripts/build-app.sh"), [join(sdk, "tests/sdk.test.ts"), wasm], { stdio: "inherit" });
  process.exitCode = await run(readFileSync(wasm));
} finally {
  rmSync(work, { recursive: true, force: true });
}

async function run(bytes) {
  let exports;
  let scripted = { bytes: new Uint8Array(0), failed: false };
  let last = { name: "", request: new Uint8Array(0) };
  const logged = [];
  const memory = () => new Uint8Array(exports.memory.buffer);
  // Hands bytes to the guest as the host does: a block from its malloc, packed (ptr << 32) | len | error flag.
  const block = (bytes, failed = false) => {
    const ptr = exports.malloc(Math.max(bytes.length, 1)) >>> 0;
    memory().set(bytes, ptr);
    return (BigInt(ptr) << 32n) | BigInt(bytes.length) | (failed ? 1n << 31n : 0n);
  };
  const dapr = {};
  for (const name of ["get_state", "get_bulk_state", "save_state", "delete_state", "delete_bulk_state",
    "execute_state_transaction", "publish_event", "bulk_publish_event", "invoke_service", "get_secret",
    "get_bulk_secret", "get_metadata"]) {
    dapr[name] = (ptr, len) => {
      last = { name, request: memory().slice(ptr >>> 0, (ptr >>> 0) + len) };
      const { bytes, failed } = scripted;
      scripted = { bytes: new Uint8Array(0), failed: false };
      return bytes.length === 0 && !failed ? 0n : block(bytes, failed);
    };
  }
  const { instance } = await WebAssembly.instantiate(bytes, {
    pillion_dapr_v1: dapr,
    env: {
      pillion_v1_log: (level, ptr, len) =>
        logged.push(new TextDecoder().decode(memory().slice(ptr >>> 0, (ptr >>> 0) + len))),
    },
    test: {
      script: (ptr, len, failed) => {
        scripted = { bytes: memory().slice(ptr >>> 0, (ptr >>> 0) + len), failed: failed !== 0 };
      },
      last_import: () => block(new TextEncoder().encode(last.name)),
      last_request: () => block(last.request),
    },
  });
  exports = instance.exports;
  exports._initialize();
  const imports = WebAssembly.Module.imports(new WebAssembly.Module(bytes)).map((i) => `${i.module}.${i.name}`);
  let failures = 0;
  const report = (ok, name, detail) => {
    if (!ok) failures++;
    console.log(`${ok ? "ok  " : "FAIL"} ${name}${detail ? `: ${detail}` : ""}`);
  };
  report(!imports.some((i) => i === "env.abort" || i === "env.trace" || i === "env.seed"), "imports only what the host grants",
    imports.join(", "));
  for (const name of Object.keys(exports)) {
    if (!name.startsWith("test_") && !name.startsWith("trap_")) continue;
    logged.length = 0;
    let trapped = null;
    try {
      exports[name]();
    } catch (e) {
      if (!(e instanceof WebAssembly.RuntimeError)) throw e;
      trapped = e;
    }
    if (name.startsWith("test_")) {
      report(trapped === null, name, trapped && (logged.join(" | ") || trapped.message));
    } else {
      // The abort mapping logs why before it traps.
      report(trapped !== null && logged.length === 1 && logged[0].length > 0, name,
        trapped ? logged.join(" | ") : "returned");
    }
  }
  console.log(failures === 0 ? "all SDK tests passed" : `${failures} SDK test(s) failed`);
  return failures === 0 ? 0 : 1;
}
