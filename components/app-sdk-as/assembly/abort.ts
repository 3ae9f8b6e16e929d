// AssemblyScript's abort for apps: the host grants no env.abort.

import { log, LogLevel } from "./log";

/**
 * AssemblyScript's abort (a failed assertion, an out-of-range index, a `throw`), mapped here by the build
 * (`--use abort=...`): logs where it happened and traps, so the host fails that call alone and discards the instance.
 */
export function abortWithTrap(
  message: string | null = null,
  fileName: string | null = null,
  line: u32 = 0,
  column: u32 = 0
): void {
  const what = message === null ? "abort" : message;
  const where = fileName === null ? "" : " at " + fileName + ":" + line.toString() + ":" + column.toString();
  log(LogLevel.ERROR, what + where);
  unreachable();
}
