package dev.pillion.benchmarks;

import java.util.Arrays;

/**
 * Nearest-rank percentiles of latency samples, one definition for every benchmark that reports
 * them.
 */
final class Percentiles {
  private Percentiles() {}

  /**
   * The value at a percentile of sorted samples (nearest rank).
   *
   * @param sorted the samples, in ascending order
   * @param percent e.g. {@code 99.9}
   * @return the sample at that rank
   */
  static long ofSorted(long[] sorted, double percent) {
    int rank = (int) Math.ceil(percent / 100 * sorted.length);
    return sorted[Math.max(0, Math.min(sorted.length - 1, rank - 1))];
  }

  /**
   * The value at a percentile of the first {@code count} samples, in any order (nearest rank).
   *
   * @param samples the samples (left unchanged)
   * @param count how many of them count
   * @param percent e.g. {@code 50}
   * @return the sample at that rank
   */
  static long of(long[] samples, int count, double percent) {
    long[] sorted = Arrays.copyOf(samples, count);
    Arrays.sort(sorted);
    return ofSorted(sorted, percent);
  }
}
