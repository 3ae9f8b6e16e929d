package dev.pillion.wasm;

import java.io.ByteArrayOutputStream;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;

/**
 * A guest's stdout or stderr: bytes are collected into lines and each line is logged under the
 * component's logger. A line longer than 8 KiB is split, so a guest cannot make the host buffer
 * without bound. Lines beyond the component's {@link OutputBudget} are dropped (and counted).
 */
final class ComponentOutput extends OutputStream {
  private static final int MAX_LINE = 8192;

  private final System.Logger logger;
  private final System.Logger.Level level;
  private final String prefix;
  private final OutputBudget budget;
  private final ByteArrayOutputStream line = new ByteArrayOutputStream();

  ComponentOutput(
      System.Logger logger, System.Logger.Level level, String prefix, OutputBudget budget) {
    this.logger = logger;
    this.level = level;
    this.prefix = prefix;
    this.budget = budget;
  }

  @Override
  public synchronized void write(int b) {
    if (b == '\n') {
      emit();
      return;
    }
    line.write(b);
    if (line.size() >= MAX_LINE) {
      emit();
    }
  }

  @Override
  public synchronized void write(byte[] bytes, int offset, int length) {
    for (int i = 0; i < length; i++) {
      write(bytes[offset + i]);
    }
  }

  @Override
  public synchronized void flush() {
    if (line.size() > 0) {
      emit();
    }
  }

  private void emit() {
    int size = line.size();
    if (!budget.tryAcquire(size)) {
      line.reset();
      return;
    }
    String text = line.toString(StandardCharsets.UTF_8);
    line.reset();
    logger.log(level, prefix + text);
  }
}
