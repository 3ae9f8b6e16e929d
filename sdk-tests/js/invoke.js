// The apps of Pillion's JS SDK service invocation test, two `pillion run` processes that invoke each
// other by app id with the official SDK's `client.invoker.invoke`:
//   pillion run --app-id js-invoke-b ... -- node invoke.js serve
//   pillion run --app-id js-invoke-a ... -- node invoke.js call js-invoke-b REPORT
// Both are DaprServers (the SDK's HTTP app server). The "serve" app answers `echo` for GET, POST,
// PUT and DELETE with what it received, `teapot` with status 418, and `ask-back` by invoking the
// caller's `whoami` in turn. The "call" app checks every answer, writes a JSON report to REPORT and
// exits 0 when every check passed.
"use strict";

const fs = require("fs");
const { DaprServer, HttpMethod, LogLevel } = require("@dapr/dapr");

const TIMEOUT_MS = 40_000;
const started = Date.now();
const report = { checks: [], failures: [] };

function check(name, ok, detail) {
  report.checks.push(name);
  if (!ok) {
    report.failures.push(`${name}: ${detail}`);
  }
}

function newServer() {
  const logger = { level: LogLevel.Error };
  return new DaprServer({
    serverHost: "127.0.0.1",
    serverPort: process.env.APP_PORT,
    clientOptions: { daprHost: "127.0.0.1", daprPort: process.env.DAPR_HTTP_PORT, logger },
    logger,
  });
}

/** The call's answer, or the SDK's error: an Error whose message is JSON {error, error_msg, status}. */
async function outcome(call) {
  try {
    return { answer: await call() };
  } catch (error) {
    try {
      return { error: JSON.parse(error.message) };
    } catch (notJson) {
      return { error: String(error) };
    }
  }
}

async function serve() {
  const server = newServer();
  for (const verb of [HttpMethod.GET, HttpMethod.POST, HttpMethod.PUT, HttpMethod.DELETE]) {
    await server.invoker.listen(
      "echo",
      async (data) => ({
        verb,
        query: data.query,
        body: data.body,
        contentType: data.metadata.contentType || null,
        custom: data.headers["x-custom"] || null,
        caller: data.headers["dapr-caller-app-id"] || null,
        token: data.headers["dapr-api-token"] || null,
      }),
      { method: verb },
    );
  }
  await server.invoker.listen(
    "ask-back",
    async (data) => {
      const caller = data.headers["dapr-caller-app-id"];
      return await server.client.invoker.invoke(caller, "whoami", HttpMethod.GET);
    },
    { method: HttpMethod.POST },
  );
  // The SDK's invoker server cannot set a status: an error answer is a plain Express route.
  server.daprServer.getServer().get("/teapot", (req, res) => {
    res.status(418).type("text/plain").send("short and stout");
  });
  await server.start();
  // Serves until `pillion run` is stopped.
}

async function call(target) {
  const server = newServer();
  await server.invoker.listen("whoami", async () => ({ app: "js-invoke-a" }), {
    method: HttpMethod.GET,
  });
  await server.start();
  const client = server.client;

  // The other app may still be starting: wait until it is found and answers.
  for (;;) {
    const attempt = await outcome(() => client.invoker.invoke(target, "echo", HttpMethod.GET));
    if (attempt.answer && attempt.answer.verb === "get") {
      break;
    }
    if (Date.now() - started > TIMEOUT_MS) {
      throw new Error(`app ${target} never answered: ${JSON.stringify(attempt)}`);
    }
    await new Promise((resolve) => setTimeout(resolve, 100));
  }

  const get = await client.invoker.invoke(target, "echo?x=1&y=two", HttpMethod.GET, undefined, {
    headers: { "x-custom": "get-header" },
  });
  check(
    "GET with query and header",
    get.verb === "get" && get.query === "/echo?x=1&y=two" && get.custom === "get-header",
    JSON.stringify(get),
  );
  check("the callee learns the caller's app id", get.caller === "js-invoke-a", JSON.stringify(get));
  check("no API token reaches the other app", get.token === null, JSON.stringify(get));

  const post = await client.invoker.invoke(target, "echo", HttpMethod.POST, { order: 7, item: "book" });
  check(
    "POST with a JSON body",
    post.verb === "post" &&
      JSON.stringify(JSON.parse(post.body)) === JSON.stringify({ order: 7, item: "book" }) &&
      String(post.contentType).startsWith("application/json"),
    JSON.stringify(post),
  );

  const put = await client.invoker.invoke(target, "echo?v=2", HttpMethod.PUT, "plain words", {
    headers: { "Content-Type": "text/plain" },
  });
  check(
    "PUT with a text body and query",
    put.verb === "put" &&
      put.query === "/echo?v=2" &&
      JSON.parse(put.body) === "plain words" &&
      String(put.contentType).startsWith("text/plain"),
    JSON.stringify(put),
  );

  const del = await client.invoker.invoke(target, "echo?id=9", HttpMethod.DELETE);
  check("DELETE", del.verb === "delete" && del.query === "/echo?id=9", JSON.stringify(del));

  const teapot = await outcome(() => client.invoker.invoke(target, "teapot", HttpMethod.GET));
  check(
    "the app's error status and body come back",
    teapot.error && teapot.error.status === 418 && teapot.error.error_msg === "short and stout",
    JSON.stringify(teapot),
  );

  const unknown = await outcome(() => client.invoker.invoke("no-such-app", "echo", HttpMethod.GET));
  check(
    "an unknown app id is daprd's ERR_DIRECT_INVOKE",
    unknown.error &&
      unknown.error.status === 500 &&
      String(unknown.error.error_msg).includes("ERR_DIRECT_INVOKE"),
    JSON.stringify(unknown),
  );

  const back = await client.invoker.invoke(target, "ask-back", HttpMethod.POST, {});
  check("the callee invokes the caller back", back && back.app === "js-invoke-a", JSON.stringify(back));

  report.elapsedMs = Date.now() - started;
  await server.stop();
  return report.failures.length === 0;
}

function finish(ok) {
  const text = JSON.stringify(report, null, 2);
  if (process.argv[4]) {
    fs.writeFileSync(process.argv[4], text);
  }
  console.log(text);
  process.exit(ok ? 0 : 1);
}

const role = process.argv[2];
if (role === "serve") {
  serve().catch((error) => {
    console.error(error && error.stack ? error.stack : error);
    process.exit(1);
  });
} else if (role === "call") {
  call(process.argv[3])
    .then((ok) => finish(ok))
    .catch((error) => {
      report.failures.push(`error: ${error && error.stack ? error.stack : error}`);
      finish(false);
    });
} else {
  console.error("usage: node invoke.js serve | node invoke.js call TARGET_APP_ID REPORT");
  process.exit(2);
}
