package dev.pillion.wasm;

import java.util.concurrent.atomic.AtomicLong;

/**
 * The bytes a component may still write into one writable {@link Preopen}, shared by all its
 * instances. A write reserves its size before it happens and gives back what it did not use.
 */
final class WriteQuota {
  private final long limit;
  private final AtomicLong used = new AtomicLong();

  WriteQuota(long limit) {
    this.limit = limit;
  }

  /**
   * Takes {@code bytes} from the quota if they fit.
   *
   * @param bytes a non-negative byte count
   * @return whether they were taken
   */
  boolean tryReserve(long bytes) {
    if (bytes <= 0) {
      return bytes == 0;
    }
    while (true) {
      long current = used.get();
      if (bytes > limit - current) {
        return false;
      }
      if (used.compareAndSet(current, current + bytes)) {
        return true;
      }
    }
  }

  /** Gives back bytes reserved but not written. */
  void release(long bytes) {
    if (bytes > 0) {
      used.addAndGet(-bytes);
    }
  }

  long used() {
    return used.get();
  }

  long limit() {
    return limit;
  }
}
