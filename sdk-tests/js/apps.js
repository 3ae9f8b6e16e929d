// Pillion's hosted Wasm apps driven by the official Dapr JS SDK, run by
// `pillion run --resources-path examples/apps/resources ... -- node apps.js REPORT`: the SDK's DaprClient places
// orders with the Rust order service (invoked by app id through Pillion's HTTP API), reads one back, and waits
// until the AssemblyScript order counter, which subscribes to the orders topic, has counted them all. Writes a
// JSON report to REPORT and exits 0 when every check passed.
"use strict";

const fs = require("fs");
const { DaprClient, HttpMethod, LogLevel } = require("@dapr/dapr");

const ORDERS = 5;
const TIMEOUT_MS = 40_000;

const report = { checks: [], failures: [] };
const started = Date.now();

function check(name, ok, detail) {
  report.checks.push(name);
  if (!ok) {
    report.failures.push(`${name}: ${detail}`);
  }
}

async function main() {
  const reportFile = process.argv[2];
  const client = new DaprClient({
    daprHost: "127.0.0.1",
    daprPort: process.env.DAPR_HTTP_PORT,
    logger: { level: LogLevel.Error },
  });
  try {
    const ids = [];
    for (let n = 1; n <= ORDERS; n++) {
      const placed = await client.invoker.invoke("order-service", "orders", HttpMethod.POST, {
        item: `book-${n}`,
        qty: n,
      });
      ids.push(placed && placed.orderId);
    }
    check(
      "orders numbered in sequence",
      JSON.stringify(ids) === JSON.stringify([1, 2, 3, 4, 5]),
      JSON.stringify(ids),
    );
    const third = await client.invoker.invoke("order-service", "orders/3", HttpMethod.GET);
    check("an order reads back", third && third.item === "book-3" && third.qty === 3, JSON.stringify(third));

    let count = 0;
    while (count < ORDERS && Date.now() - started < TIMEOUT_MS) {
      const answer = await client.invoker.invoke("order-counter", "count", HttpMethod.GET);
      count = Number(answer && answer.count !== undefined ? answer.count : answer);
      if (count < ORDERS) {
        await new Promise((resolve) => setTimeout(resolve, 50));
      }
    }
    check("the subscriber counted every order", count === ORDERS, `count ${count}`);
  } catch (e) {
    report.failures.push(`unexpected: ${e && e.stack ? e.stack : e}`);
  } finally {
    fs.writeFileSync(reportFile, JSON.stringify(report));
  }
  process.exit(report.failures.length === 0 ? 0 : 1);
}

main();
