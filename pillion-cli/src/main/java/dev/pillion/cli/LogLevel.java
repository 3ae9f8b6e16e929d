package dev.pillion.cli;

import java.util.logging.Level;

/** The values of {@code --log-level}, as daprd's, and the java.util.logging level each enables. */
enum LogLevel {
  /** Everything Pillion logs, down to its components' trace output. */
  DEBUG(Level.ALL),
  /** The default. */
  INFO(Level.INFO),
  /** Warnings and errors. */
  WARN(Level.WARNING),
  /** Errors only. */
  ERROR(Level.SEVERE);

  private final Level level;

  LogLevel(Level level) {
    this.level = level;
  }

  /**
   * The java.util.logging level that shows this level's entries.
   *
   * @return the level
   */
  Level julLevel() {
    return level;
  }
}
