// Log lines under the app's logger in the runtime: env.pillion_v1_log, granted to every module (docs/abi.md).

// @ts-ignore: decorator
@external("env", "pillion_v1_log")
declare function pillion_v1_log(level: i32, ptr: usize, len: usize): void;

/** Log levels of env.pillion_v1_log. */
export enum LogLevel {
  TRACE = 0,
  DEBUG = 1,
  INFO = 2,
  WARN = 3,
  ERROR = 4,
}

/** Writes one line at `level`. */
export function log(level: LogLevel, message: string): void {
  const bytes = String.UTF8.encode(message);
  pillion_v1_log(level, changetype<usize>(bytes), <usize>bytes.byteLength);
}
