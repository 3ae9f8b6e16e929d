// The app's side of the ABI: the handlers an app registers, which the exports (exports.ts) call.

import { Request, Response } from "./http";
import { TopicEventRequest } from "./proto/dapr/proto/runtime/v1/TopicEventRequest";
import { TopicSubscription } from "./proto/dapr/proto/runtime/v1/TopicSubscription";
import { TopicRoutes } from "./proto/dapr/proto/runtime/v1/TopicRoutes";

/** The ABI version apps built with this SDK speak (docs/abi.md: apps speak version 2 only). */
export const APP_API_VERSION: u64 = 2;

/** What became of an event (the values of Dapr's TopicEventResponseStatus). */
export enum TopicEventStatus {
  /** Handled: the runtime acknowledges it. */
  SUCCESS = 0,
  /** Not handled now: the runtime delivers it again (its resiliency policy, then the dead-letter topic). */
  RETRY = 1,
  /** Never to be handled: the runtime drops it (or sends it to the dead-letter topic). */
  DROP = 2,
}

/** A subscription of `topic` on `pubsub`, delivered to the route (method) `route`. */
export function subscription(pubsub: string, topic: string, route: string): TopicSubscription {
  const subscription = new TopicSubscription();
  subscription.pubsubName = pubsub;
  subscription.topic = topic;
  subscription.routes = new TopicRoutes([], route);
  return subscription;
}

let invokeHandler: ((request: Request) => Response) | null = null;
let subscriptionsHandler: (() => Array<TopicSubscription>) | null = null;
let topicEventHandler: ((event: TopicEventRequest) => TopicEventStatus) | null = null;

/**
 * The app's handlers, registered by its top-level code (run once per instance, by `_initialize`). The runtime may run
 * several instances, one call at a time each, and discard any of them: keep state in the state store, not in globals.
 */
export class App {
  /** Answers HTTP requests to the app's routes and invocations of its methods. Required. */
  static onInvoke(handler: (request: Request) => Response): void {
    invokeHandler = handler;
  }

  /** The app's subscriptions, asked once when the app starts (declarative Subscriptions add to them). */
  static subscriptions(handler: () => Array<TopicSubscription>): void {
    subscriptionsHandler = handler;
  }

  /** Handles an event of one of its subscriptions; without a handler every event is dropped. */
  static onTopicEvent(handler: (event: TopicEventRequest) => TopicEventStatus): void {
    topicEventHandler = handler;
  }
}

/** @internal The registered invocation handler, or null. */
export function registeredInvokeHandler(): ((request: Request) => Response) | null {
  return invokeHandler;
}

/** @internal The registered subscriptions, empty without a handler. */
export function registeredSubscriptions(): Array<TopicSubscription> {
  const handler = subscriptionsHandler;
  return handler === null ? [] : handler();
}

/** @internal What the registered event handler makes of `event`; DROP without one. */
export function handleTopicEvent(event: TopicEventRequest): TopicEventStatus {
  const handler = topicEventHandler;
  return handler === null ? TopicEventStatus.DROP : handler(event);
}
