package dev.pillion.wasm;

import com.dylibso.chicory.runtime.Memory;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.util.Objects;

/**
 * A guest's stdout or stderr: bytes are collected into lines and each line is logged under the
 * component's logger. A line longer than 8 KiB is split, so a guest cannot make the host buffer
 * without bound. Lines beyond the component's {@link OutputBudget} are dropped (and counted).
 *
 * <p>The cost to the host is bounded by what the budget lets through, not by what the guest writes:
 * a write into an exhausted budget is dropped before any byte is copied, and once the budget
 * refuses a line the rest of that write is dropped without being looked at.
 */
final class ComponentOutput extends OutputStream {
  private static final int MAX_LINE = 8192;

  private final System.Logger logger;
  private final System.Logger.Level level;
  private final String prefix;
  private final OutputBudget budget;
  private final byte[] line = new byte[MAX_LINE];
  private int lineLength;

  ComponentOutput(
      System.Logger logger, System.Logger.Level level, String prefix, OutputBudget budget) {
    this.logger = logger;
    this.level = level;
    this.prefix = prefix;
    this.budget = budget;
  }

  @Override
  public synchronized void write(int b) {
    write(new byte[] {(byte) b}, 0, 1);
  }

  @Override
  public synchronized void write(byte[] bytes, int offset, int length) {
    Objects.checkFromIndexSize(offset, length, bytes.length);
    if (!budget.hasCapacity()) {
      dropAll(length);
      return;
    }
    append(bytes, offset, length);
  }

  /**
   * Writes {@code length} bytes of guest memory from {@code address}, a range the caller checked,
   * copying at most one line's worth at a time and nothing once the budget refuses.
   */
  synchronized void write(Memory memory, int address, long length) {
    if (!budget.hasCapacity()) {
      dropAll(length);
      return;
    }
    long done = 0;
    while (done < length) {
      int chunk = (int) Math.min(MAX_LINE, length - done);
      byte[] bytes = memory.readBytes(address + (int) done, chunk);
      done += chunk;
      if (!append(bytes, 0, chunk)) {
        budget.drop(length - done);
        return;
      }
    }
  }

  @Override
  public synchronized void flush() {
    if (lineLength > 0) {
      emit();
    }
  }

  /** Drops a write and the line it would have continued. */
  private void dropAll(long length) {
    budget.drop(length + lineLength);
    lineLength = 0;
  }

  /**
   * Adds bytes to the current line, logging each completed line.
   *
   * @return false if the budget refused a line; the bytes after it were dropped
   */
  private boolean append(byte[] bytes, int offset, int length) {
    int end = offset + length;
    int i = offset;
    while (i < end) {
      // Look no further than the room left in the line, so no byte is scanned twice.
      int limit = (int) Math.min(end, (long) i + MAX_LINE - lineLength);
      int stop = i;
      while (stop < limit && bytes[stop] != '\n') {
        stop++;
      }
      System.arraycopy(bytes, i, line, lineLength, stop - i);
      lineLength += stop - i;
      i = stop;
      boolean complete;
      if (i < end && bytes[i] == '\n') {
        i++;
        complete = true;
      } else {
        complete = lineLength == MAX_LINE;
      }
      if (complete && !emit()) {
        budget.drop(end - i);
        return false;
      }
    }
    return true;
  }

  /** Logs the current line if the budget allows it; either way the line is done. */
  private boolean emit() {
    int size = lineLength;
    lineLength = 0;
    if (!budget.tryAcquire(size)) {
      return false;
    }
    logger.log(level, prefix + new String(line, 0, size, StandardCharsets.UTF_8));
    return true;
  }
}
