// The app side of Pillion's JS SDK pub/sub test, run by `pillion run ... -- node pubsub.js REPORT`:
// a DaprServer (the official SDK's HTTP app server) with a normal, a raw-payload and two bulk
// subscriptions, and its DaprClient, which publishes to them through Pillion's HTTP API. It checks
// what each handler receives, writes a JSON report to REPORT and exits 0 when every check passed.
"use strict";

const fs = require("fs");
const { DaprServer, DaprPubSubStatusEnum, LogLevel } = require("@dapr/dapr");

const PUBSUB = "pubsub";
const BULK_EVENTS = 25;
const TIMEOUT_MS = 40_000;

const report = { checks: [], failures: [] };
const started = Date.now();

function check(name, ok, detail) {
  report.checks.push(name);
  if (!ok) {
    report.failures.push(`${name}: ${detail}`);
  }
}

function sameJson(a, b) {
  return JSON.stringify(a) === JSON.stringify(b);
}

async function until(what, condition) {
  while (!condition()) {
    if (Date.now() - started > TIMEOUT_MS) {
      throw new Error(`timed out waiting for ${what}`);
    }
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

async function main() {
  const reportFile = process.argv[2];
  const logger = { level: LogLevel.Error };
  const clientOptions = {
    daprHost: "127.0.0.1",
    daprPort: process.env.DAPR_HTTP_PORT,
    logger,
  };
  const server = new DaprServer({
    serverHost: "127.0.0.1",
    serverPort: process.env.APP_PORT,
    clientOptions,
    logger,
  });

  const plain = [];
  const raw = [];
  const bulk = new Map(); // data.n -> deliveries
  const bulkRaw = [];
  let bulkRetried = false;

  await server.pubsub.subscribe(PUBSUB, "orders", async (data, headers) => {
    plain.push({ data, headers });
  });
  await server.pubsub.subscribe(
    PUBSUB,
    "raw-orders",
    async (data, headers) => {
      raw.push({ data, headers });
    },
    undefined,
    // The SDK sends each metadata value JSON-encoded: true, not "true" (that would be "\"true\"").
    { rawPayload: true },
  );
  await server.pubsub.subscribeBulk(
    PUBSUB,
    "bulk-orders",
    async (data) => {
      bulk.set(data.n, (bulk.get(data.n) || 0) + 1);
      if (data.n === 3 && !bulkRetried) {
        bulkRetried = true;
        return DaprPubSubStatusEnum.RETRY;
      }
      return DaprPubSubStatusEnum.SUCCESS;
    },
    { maxMessagesCount: 10, maxAwaitDurationMs: 100 },
  );
  await server.pubsub.subscribeBulk(
    PUBSUB,
    "bulk-raw-orders",
    async (data) => {
      bulkRaw.push(data);
    },
    { metadata: { rawPayload: true }, maxAwaitDurationMs: 50 },
  );
  await server.start();

  // Publish only once Pillion has read /dapr/subscribe: the broker keeps no messages for a topic
  // without subscribers.
  const client = server.client;
  let listed = [];
  while (listed.length < 4) {
    if (Date.now() - started > TIMEOUT_MS) {
      throw new Error(`Pillion lists ${listed.length} subscriptions, not the app's 4`);
    }
    listed = (await client.metadata.get()).subscriptions || [];
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
  report.subscriptions = listed.map((s) => s.topic).sort();

  const publish = async (topic, data, options) => {
    const result = await client.pubsub.publish(PUBSUB, topic, data, options);
    if (result && result.error) {
      throw new Error(`publish to ${topic} failed: ${JSON.stringify(result.error)}`);
    }
  };

  // A normal subscription: the CloudEvent's data, and the delivery headers daprd sends.
  await publish("orders", { id: 1, item: "book" }, { metadata: { tenant: "blue" } });
  await until("the normal subscription's event", () => plain.length >= 1);
  check("normal: data", sameJson(plain[0].data, { id: 1, item: "book" }), JSON.stringify(plain[0].data));
  check("normal: pubsubname header", plain[0].headers.pubsubname === PUBSUB, JSON.stringify(plain[0].headers));
  check("normal: metadata header", plain[0].headers.tenant === "blue", JSON.stringify(plain[0].headers));

  // Raw payload, both ways: a raw publish reaches the raw subscriber as published; a CloudEvent
  // publish reaches it as the whole envelope.
  await publish("raw-orders", { id: 2 }, { metadata: { rawPayload: "true" } });
  await until("the raw subscription's first event", () => raw.length >= 1);
  check("raw publish -> raw subscriber", sameJson(raw[0].data, { id: 2 }), JSON.stringify(raw[0].data));
  await publish("raw-orders", { id: 3 });
  await until("the raw subscription's second event", () => raw.length >= 2);
  const envelope = raw[1].data;
  check(
    "CloudEvent publish -> raw subscriber",
    envelope && envelope.specversion === "1.0" && sameJson(envelope.data, { id: 3 }) && envelope.topic === "raw-orders",
    JSON.stringify(envelope),
  );
  // And a raw publish to a subscriber expecting CloudEvents: not lost.
  await publish("orders", { id: 4 }, { metadata: { rawPayload: "true" } });
  await until("the raw publish to the normal subscription", () => plain.length >= 2);
  check("raw publish -> CloudEvent subscriber", sameJson(plain[1].data, { id: 4 }), JSON.stringify(plain[1].data));

  // Bulk subscribe: every event once, in batches; the one answered RETRY comes back.
  for (let n = 0; n < BULK_EVENTS; n++) {
    await publish("bulk-orders", { n });
  }
  await until("every bulk event", () => bulk.size === BULK_EVENTS && bulk.get(3) === 2);
  let delivered = 0;
  bulk.forEach((count) => (delivered += count));
  check("bulk: every event, the retried one twice", delivered === BULK_EVENTS + 1, JSON.stringify([...bulk]));

  // Bulk with raw payloads: entries are base64 bytes the SDK decodes.
  await publish("bulk-raw-orders", { id: 5 }, { metadata: { rawPayload: "true" } });
  await until("the bulk raw-payload event", () => bulkRaw.length >= 1);
  check("bulk raw payload", sameJson(bulkRaw[0], { id: 5 }), JSON.stringify(bulkRaw[0]));

  report.elapsedMs = Date.now() - started;
  await server.stop();
  return report.failures.length === 0;
}

main()
  .then((ok) => finish(ok))
  .catch((error) => {
    report.failures.push(`error: ${error && error.stack ? error.stack : error}`);
    finish(false);
  });

function finish(ok) {
  const text = JSON.stringify(report, null, 2);
  if (process.argv[2]) {
    fs.writeFileSync(process.argv[2], text);
  }
  console.log(text);
  process.exit(ok ? 0 : 1);
}
