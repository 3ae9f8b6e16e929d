package dev.pillion.benchmarks;

import dev.pillion.Pillion;
import java.lang.management.ManagementFactory;
import java.util.Locale;

/**
 * Prints the retained heap of a runtime with one component (used heap after GC, with and without
 * the runtime) and the time to the first call, for each store kind. Run in a fresh JVM per kind:
 * {@code java -cp benchmarks.jar dev.pillion.benchmarks.Footprint wasm-compiled}.
 */
public final class Footprint {
  private Footprint() {}

  private static long usedHeapAfterGc() throws InterruptedException {
    for (int i = 0; i < 4; i++) {
      System.gc();
      Thread.sleep(100);
    }
    return ManagementFactory.getMemoryMXBean().getHeapMemoryUsage().getUsed();
  }

  /**
   * Runs the measurement.
   *
   * @param args the store kind
   * @throws Exception on failure
   */
  public static void main(String[] args) throws Exception {
    String kind = args.length > 0 ? args[0] : "wasm-compiled";
    long before = usedHeapAfterGc();
    long start = System.nanoTime();
    Pillion runtime = StateStores.runtime(kind);
    runtime.state(StateStores.STORE).save("k", new byte[100]);
    runtime.state(StateStores.STORE).get("k");
    long firstCall = System.nanoTime() - start;
    long after = usedHeapAfterGc();
    System.out.printf(
        Locale.ROOT,
        "%s: first runtime start + first set/get %.1f ms; heap retained by the runtime %.2f MiB%n",
        kind,
        firstCall / 1e6,
        (after - before) / (1024.0 * 1024.0));
    runtime.close();
  }
}
