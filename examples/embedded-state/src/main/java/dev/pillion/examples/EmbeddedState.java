package dev.pillion.examples;

import dev.pillion.Pillion;
import dev.pillion.state.BulkStateItem;
import dev.pillion.state.Concurrency;
import dev.pillion.state.DeleteRequest;
import dev.pillion.state.EtagMismatchException;
import dev.pillion.state.SaveRequest;
import dev.pillion.state.StateItem;
import dev.pillion.state.StateStore;
import dev.pillion.state.TransactionOperation;
import java.nio.file.Path;
import java.util.List;
import java.util.Locale;
import java.util.function.Supplier;

/**
 * Starts an embedded runtime from a resources folder (default: {@code
 * examples/embedded-state/components}), runs a few state operations against the bundled Wasm
 * in-memory store, and prints each with its time.
 */
public final class EmbeddedState {
  private EmbeddedState() {}

  /**
   * Runs the example.
   *
   * @param args optional: the resources folder
   */
  public static void main(String[] args) {
    Path resources = Path.of(args.length > 0 ? args[0] : "examples/embedded-state/components");
    long start = System.nanoTime();
    try (Pillion runtime = Pillion.builder().resourcesPath(resources).appId("orders").build()) {
      print("runtime started (components from " + resources + ")", System.nanoTime() - start);
      runtime
          .components()
          .forEach(
              c ->
                  System.out.printf(
                      "  component %s: %s/%s %s%n",
                      c.name(), c.type(), c.version(), c.capabilities()));
      StateStore store = runtime.state("statestore");

      timed(
          "save order-1",
          () -> {
            store.save(
                SaveRequest.builder("order-1", "{\"item\":\"book\",\"qty\":1}")
                    .contentType("application/json")
                    .build());
            return "ok";
          });
      StateItem first = timed("get order-1", () -> store.get("order-1").orElseThrow());
      System.out.printf("  -> %s (etag %s)%n", first.valueAsString(), first.etag().orElse("-"));

      timed(
          "save order-1 with its etag",
          () -> {
            store.save(
                SaveRequest.builder("order-1", "{\"item\":\"book\",\"qty\":2}")
                    .etag(first.etag().orElseThrow())
                    .build());
            return "ok";
          });
      String conflict =
          timed(
              "save order-1 with the stale etag",
              () -> {
                try {
                  store.save(
                      SaveRequest.builder("order-1", "lost update")
                          .etag(first.etag().orElseThrow())
                          .concurrency(Concurrency.FIRST_WRITE)
                          .build());
                  return "unexpectedly saved";
                } catch (EtagMismatchException e) {
                  return "rejected: " + e.getMessage();
                }
              });
      System.out.println("  -> " + conflict);

      timed(
          "transaction: upsert order-2, order-3; delete order-1",
          () -> {
            store.transact(
                List.of(
                    TransactionOperation.upsert(
                        SaveRequest.builder("order-2", "{\"item\":\"pen\"}").build()),
                    TransactionOperation.upsert(
                        SaveRequest.builder("order-3", "{\"item\":\"ink\"}")
                            .ttlInSeconds(60)
                            .build()),
                    TransactionOperation.delete(DeleteRequest.of("order-1"))));
            return "ok";
          });
      List<BulkStateItem> items =
          timed(
              "bulk get order-1..3", () -> store.bulkGet(List.of("order-1", "order-2", "order-3")));
      for (BulkStateItem item : items) {
        System.out.printf(
            "  -> %s: %s%n",
            item.key(),
            item.item()
                .map(
                    i ->
                        i.valueAsString()
                            + i.ttlExpireTime().map(t -> " (expires " + t + ")").orElse(""))
                .orElse("(missing)"));
      }

      int n = 100_000;
      long loop = System.nanoTime();
      for (int i = 0; i < n; i++) {
        store.get("order-2");
      }
      print(n + " gets of order-2, average per get", (System.nanoTime() - loop) / n);
    }
  }

  private static <T> T timed(String label, Supplier<T> action) {
    long start = System.nanoTime();
    T result = action.get();
    print(label, System.nanoTime() - start);
    return result;
  }

  private static void print(String label, long nanos) {
    System.out.printf(Locale.ROOT, "%-60s %10.1f µs%n", label, nanos / 1000.0);
  }
}
