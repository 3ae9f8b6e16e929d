// The errors of Dapr's gRPC API, as an app receives them from an import: a google.rpc.Status.

import { Protobuf } from "as-proto/assembly";
import { Status } from "./proto/google/rpc/Status";
import { ErrorInfo } from "./proto/google/rpc/ErrorInfo";
import { Any } from "./proto/google/protobuf/Any";

const ERROR_INFO_TYPE = "type.googleapis.com/google.rpc.ErrorInfo";

/** gRPC status codes an app may want to match on. */
export namespace Code {
  export const CANCELLED: i32 = 1;
  export const UNKNOWN: i32 = 2;
  export const INVALID_ARGUMENT: i32 = 3;
  export const DEADLINE_EXCEEDED: i32 = 4;
  export const NOT_FOUND: i32 = 5;
  export const ALREADY_EXISTS: i32 = 6;
  export const PERMISSION_DENIED: i32 = 7;
  export const RESOURCE_EXHAUSTED: i32 = 8;
  export const FAILED_PRECONDITION: i32 = 9;
  export const ABORTED: i32 = 10;
  export const UNIMPLEMENTED: i32 = 12;
  export const INTERNAL: i32 = 13;
  export const UNAVAILABLE: i32 = 14;
}

/**
 * A failed call to Dapr: the gRPC status code, the message and, when the runtime sent one, daprd's error code
 * (`ErrorInfo.reason`, e.g. `DAPR_STATE_ETAG_MISMATCH`) with its metadata; `reason` is "" when there was none.
 */
export class DaprError {
  constructor(
    readonly code: i32,
    readonly message: string,
    readonly reason: string = "",
    readonly metadata: Map<string, string> = new Map<string, string>()
  ) {}

  /** The error an import's error block (an encoded google.rpc.Status) describes. */
  static fromStatusBytes(bytes: Uint8Array): DaprError {
    return DaprError.fromStatus(Protobuf.decode<Status>(bytes, Status.decode));
  }

  /** The error a Status describes, with the reason and metadata of its first ErrorInfo detail. */
  static fromStatus(status: Status): DaprError {
    for (let i = 0; i < status.details.length; i++) {
      const detail = status.details[i];
      if (detail.typeUrl == ERROR_INFO_TYPE) {
        const info = Protobuf.decode<ErrorInfo>(detail.value, ErrorInfo.decode);
        return new DaprError(status.code, status.message, info.reason, info.metadata);
      }
    }
    return new DaprError(status.code, status.message);
  }

  /** An error the SDK itself raises (a handler that is missing, a response it cannot use). */
  static internal(message: string): DaprError {
    return new DaprError(Code.INTERNAL, message);
  }

  /** Whether daprd's error code (ErrorInfo.reason) is `reason`. */
  is(reason: string): bool {
    return this.reason.length > 0 && this.reason == reason;
  }

  /** The error as a google.rpc.Status, for a handler to return it. */
  toStatus(): Status {
    const details = new Array<Any>();
    if (this.reason.length > 0) {
      const info = new ErrorInfo(this.reason, "dapr.io", this.metadata);
      details.push(new Any(ERROR_INFO_TYPE, Protobuf.encode(info, ErrorInfo.encode)));
    }
    return new Status(this.code, this.message, details);
  }

  toString(): string {
    return this.reason.length > 0
      ? this.reason + " (code " + this.code.toString() + "): " + this.message
      : "code " + this.code.toString() + ": " + this.message;
  }
}

/**
 * The outcome of a call that answers a value: the value, or the DaprError it failed with. AssemblyScript has no
 * exceptions, so every Dapr call returns its error rather than throwing it.
 */
export class Result<T> {
  private constructor(private readonly present: T, readonly error: DaprError | null) {}

  /** A call that succeeded with `value`. */
  static ok<T>(value: T): Result<T> {
    return new Result<T>(value, null);
  }

  /** A call that failed with `error`. */
  static err<T>(error: DaprError): Result<T> {
    if (!isReference<T>()) ERROR("Result<T> holds a reference type (a message, a string, an array)");
    return new Result<T>(changetype<T>(0), error);
  }

  /** Whether the call succeeded. */
  get ok(): bool {
    return this.error === null;
  }

  /** The value of a call that succeeded; reading the value of a failed call aborts with its error. */
  get value(): T {
    const error = this.error;
    if (error !== null) {
      abort("the value of a failed Dapr call: " + error.toString());
    }
    return this.present;
  }
}
