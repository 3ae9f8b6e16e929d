// Pillion's app SDK for AssemblyScript: a Dapr application compiled to Wasm and hosted inside the Pillion runtime
// (docs/abi.md, "Wasm apps"). The runtime calls the handlers an app registers with App for HTTP requests, service
// invocations and pub/sub events; the app calls Dapr's building blocks through Dapr, with the semantics and the
// errors of Dapr's gRPC API. An app's entry file also re-exports the ABI: `export * from "<sdk>/assembly/exports";`.

export { App, TopicEventStatus, subscription } from "./app";
export { Dapr, State, utf8 } from "./client";
export { Code, DaprError, Result } from "./error";
export { Header, Request, Response } from "./http";
export { log, LogLevel } from "./log";
export { Verb } from "./proto/dapr/proto/common/v1/HTTPExtension/Verb";
export { TopicEventRequest } from "./proto/dapr/proto/runtime/v1/TopicEventRequest";
export { TopicSubscription } from "./proto/dapr/proto/runtime/v1/TopicSubscription";
