// An invocation as an HTTP handler sees it: Request (verb, path, query, headers, body) and Response (status, headers,
// body), converted from and to Dapr's internal invocation messages the runtime sends (docs/abi.md, "App exports").

import { Any } from "./proto/google/protobuf/Any";
import { Verb } from "./proto/dapr/proto/common/v1/HTTPExtension/Verb";
import { InvokeResponse } from "./proto/dapr/proto/common/v1/InvokeResponse";
import { InternalInvokeRequest } from "./proto/dapr/proto/internals/v1/InternalInvokeRequest";
import { InternalInvokeResponse } from "./proto/dapr/proto/internals/v1/InternalInvokeResponse";
import { ListStringValue } from "./proto/dapr/proto/internals/v1/ListStringValue";
import { Status } from "./proto/dapr/proto/internals/v1/Status";
import { utf8 } from "./client";

/** One header: a name and one of its values. */
export class Header {
  constructor(readonly name: string, readonly value: string) {}
}

function verbName(verb: Verb): string {
  switch (verb) {
    case Verb.GET: return "GET";
    case Verb.HEAD: return "HEAD";
    case Verb.PUT: return "PUT";
    case Verb.DELETE: return "DELETE";
    case Verb.CONNECT: return "CONNECT";
    case Verb.OPTIONS: return "OPTIONS";
    case Verb.TRACE: return "TRACE";
    case Verb.PATCH: return "PATCH";
    // POST, and NONE: an invocation over gRPC without an HTTP verb.
    default: return "POST";
  }
}

/** A request to the app: an HTTP request to its routes, or a service invocation of one of its methods. */
export class Request {
  /** The HTTP verb in upper case (GET, POST, ...); POST for a gRPC invocation without one. */
  verb: string = "POST";
  /** The method: the path without its leading "/" (orders/7). */
  method: string = "";
  /** The query string without "?", as sent. */
  query: string = "";
  /** Headers with lower-case names, sorted by name. */
  headers: Array<Header> = [];
  contentType: string = "";
  body: Uint8Array = new Uint8Array(0);

  /** The first value of a header (names are compared without case), or null. */
  header(name: string): string | null {
    const lower = name.toLowerCase();
    for (let i = 0; i < this.headers.length; i++) {
      if (this.headers[i].name == lower) return this.headers[i].value;
    }
    return null;
  }

  /** The first value of a query parameter, undecoded, or null. */
  queryParam(name: string): string | null {
    const pairs = this.query.split("&");
    for (let i = 0; i < pairs.length; i++) {
      const pair = pairs[i];
      const equals = pair.indexOf("=");
      if (equals >= 0 && pair.substring(0, equals) == name) return pair.substring(equals + 1);
    }
    return null;
  }

  /** The body as UTF-8 text. */
  text(): string {
    return String.UTF8.decode(this.body.buffer);
  }

  /** The request the runtime sent. */
  static fromInternal(internal: InternalInvokeRequest): Request {
    const request = new Request();
    const names = internal.metadata.keys();
    names.sort();
    for (let i = 0; i < names.length; i++) {
      const values = internal.metadata.get(names[i]).values;
      const name = names[i].toLowerCase();
      for (let j = 0; j < values.length; j++) {
        request.headers.push(new Header(name, values[j]));
      }
    }
    const message = internal.message;
    if (message === null) return request;
    const extension = message.httpExtension;
    if (extension !== null) {
      request.verb = verbName(extension.verb);
      request.query = extension.querystring;
    }
    request.method = message.method.startsWith("/") ? message.method.substring(1) : message.method;
    request.contentType = message.contentType;
    const data = message.data;
    if (data !== null) request.body = data.value;
    return request;
  }
}

/** The app's answer. */
export class Response {
  headers: Array<Header> = [];
  contentType: string = "";
  body: Uint8Array = new Uint8Array(0);

  constructor(public status: i32) {}

  /** 200 OK without a body. */
  static ok(): Response {
    return new Response(200);
  }

  /** An empty answer with this status. */
  static status(status: i32): Response {
    return new Response(status);
  }

  /** 200 OK with a JSON body. */
  static json(body: string): Response {
    return Response.ok().withBody("application/json", utf8(body));
  }

  /** 200 OK with a text body. */
  static text(body: string): Response {
    return Response.ok().withBody("text/plain; charset=utf-8", utf8(body));
  }

  /** An error answer with a JSON body {"error": message}. */
  static error(status: i32, message: string): Response {
    return Response.status(status).withBody("application/json", utf8('{"error":' + jsonString(message) + "}"));
  }

  /** This answer with a body and its content type. */
  withBody(contentType: string, body: Uint8Array): Response {
    this.contentType = contentType;
    this.body = body;
    return this;
  }

  /** This answer with one more header. */
  withHeader(name: string, value: string): Response {
    this.headers.push(new Header(name, value));
    return this;
  }

  /** The answer as the runtime takes it. */
  toInternal(): InternalInvokeResponse {
    const headers = new Map<string, ListStringValue>();
    for (let i = 0; i < this.headers.length; i++) {
      const header = this.headers[i];
      if (!headers.has(header.name)) headers.set(header.name, new ListStringValue());
      headers.get(header.name).values.push(header.value);
    }
    const internal = new InternalInvokeResponse();
    internal.status = new Status(this.status, "", []);
    internal.headers = headers;
    internal.message = new InvokeResponse(new Any("", this.body), this.contentType);
    return internal;
  }
}

/** A JSON string literal of `text`. */
export function jsonString(text: string): string {
  let out = '"';
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c == 0x22) out += '\\"';
    else if (c == 0x5c) out += "\\\\";
    else if (c < 0x20) out += "\\u" + c.toString(16).padStart(4, "0");
    else out += String.fromCharCode(c);
  }
  return out + '"';
}
