package dev.pillion.runtime;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.pillion.Pillion;
import dev.pillion.state.Concurrency;
import dev.pillion.state.DeleteRequest;
import dev.pillion.state.EtagMismatchException;
import dev.pillion.state.SaveRequest;
import dev.pillion.state.StateException;
import dev.pillion.state.StateItem;
import dev.pillion.state.StateLimitException;
import dev.pillion.state.StateStore;
import dev.pillion.state.TransactionOperation;
import dev.pillion.testing.TestGuests;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.logging.Handler;
import java.util.logging.Level;
import java.util.logging.LogRecord;
import java.util.logging.Logger;
import java.util.stream.IntStream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The reproductions of issue 4 ("Nothing lost"): no valid request, no full store and no faulty
 * component makes the in-memory store lose an item, because its items live in the host, not in a
 * guest instance.
 */
class DataSafetyTest {
  private static final int KEPT = 1000;

  @TempDir Path resources;
  private Pillion runtime;
  private StateStore store;

  @BeforeEach
  void start() throws IOException {
    Files.writeString(
        resources.resolve("components.yaml"),
        """
        apiVersion: dapr.io/v1alpha1
        kind: Component
        metadata:
          name: statestore
        spec:
          type: state.in-memory
          version: v1
          metadata:
          - name: keyPrefix
            value: none
        ---
        apiVersion: dapr.io/v1alpha1
        kind: Component
        metadata:
          name: small
        spec:
          type: state.in-memory
          version: v1
          metadata:
          - name: wasm.keyvalue.maxBytes
            value: "8388608"
        ---
        apiVersion: dapr.io/v1alpha1
        kind: Component
        metadata:
          name: hostile
        spec:
          type: state.wasm
          version: v1
          metadata:
          - name: url
            value: "file://%s"
          - name: wasm.callTimeout
            value: 200ms
          - name: keyPrefix
            value: none
        """
            .formatted(TestGuests.path("hostile-abi-state")));
    runtime = Pillion.builder().resourcesPath(resources).appId("safety").build();
    store = runtime.state("statestore");
    for (int i = 0; i < KEPT; i++) {
      store.save("kept-" + i, "value-" + i);
    }
  }

  @AfterEach
  void stop() {
    runtime.close();
  }

  private void assertNothingLost() {
    List<String> keys = IntStream.range(0, KEPT).mapToObj(i -> "kept-" + i).toList();
    List<String> values =
        store.bulkGet(keys).stream()
            .map(bulk -> bulk.item().map(StateItem::valueAsString).orElse("<missing>"))
            .toList();
    assertThat(values)
        .containsExactlyElementsOf(IntStream.range(0, KEPT).mapToObj(i -> "value-" + i).toList());
  }

  @Test
  void aTransactionOf40000DeletesCompletesWhileReadsGoOn() throws Exception {
    List<TransactionOperation> deletes = new ArrayList<>();
    for (int i = 0; i < 40_000; i++) {
      deletes.add(TransactionOperation.delete(DeleteRequest.of("absent-" + i)));
    }
    AtomicBoolean done = new AtomicBoolean();
    AtomicInteger reads = new AtomicInteger();
    // Instances are pooled: a concurrent reader is served by another instance meanwhile.
    CompletableFuture<Void> reader =
        CompletableFuture.runAsync(
            () -> {
              while (!done.get() || reads.get() == 0) {
                assertThat(store.get("kept-7")).map(StateItem::valueAsString).contains("value-7");
                reads.incrementAndGet();
              }
            });
    try {
      store.transact(deletes);
    } finally {
      done.set(true);
    }
    reader.get();
    assertNothingLost();
  }

  @Test
  void aSaveOf40000ItemsLandsWhole() {
    List<SaveRequest> saves = new ArrayList<>();
    for (int i = 0; i < 40_000; i++) {
      saves.add(SaveRequest.builder("bulk-" + i, "v" + i).build());
    }
    store.saveAll(saves);
    assertThat(store.get("bulk-39999")).map(StateItem::valueAsString).contains("v39999");
    assertNothingLost();
  }

  @Test
  void fillingTheStoreRefusesOnlyTheWriteThatDoesNotFit() {
    StateStore small = runtime.state("small");
    small.save("earlier", "still here");
    byte[] mebibyte = new byte[1 << 20];
    int saved = 0;
    StateLimitException refusal = null;
    while (refusal == null && saved < 100) {
      try {
        small.save("big-" + saved, mebibyte);
        saved++;
      } catch (StateLimitException e) {
        refusal = e;
      }
    }
    assertThat(refusal).isNotNull();
    assertThat(refusal)
        .hasMessageContaining("'small'")
        .hasMessageContaining("wasm.keyvalue.maxBytes")
        .hasMessageContaining("nothing was written");
    assertThat(saved).isBetween(5, 8);
    for (int i = 0; i < saved; i++) {
      assertThat(small.get("big-" + i)).map(item -> item.value().length).contains(1 << 20);
    }
    assertThat(small.get("big-" + saved)).isEmpty();
    assertThat(small.get("earlier")).map(StateItem::valueAsString).contains("still here");
    // Deleting makes room again.
    small.delete("big-0");
    small.save("big-" + saved, mebibyte);
  }

  @Test
  void aHostileComponentCannotWipeAnother() {
    StateStore hostile = runtime.state("hostile");
    AtomicInteger failed = new AtomicInteger();
    for (int round = 0; round < 20; round++) {
      for (String attack : List.of("fd-read-huge", "free-loop", "free-trap")) {
        try {
          hostile.get(attack);
        } catch (StateException expected) {
          assertThat(expected).hasMessageContaining("'hostile'");
          failed.incrementAndGet();
        }
        // The same thread goes on into the trusted store: no stray interrupt reaches it.
        assertThat(store.get("kept-" + round))
            .map(StateItem::valueAsString)
            .contains("value-" + round);
        assertThat(Thread.currentThread().isInterrupted()).isFalse();
      }
    }
    // free-loop and free-trap fail every time: the attacks really ran.
    assertThat(failed.get()).isGreaterThanOrEqualTo(40);
    assertNothingLost();
  }

  @Test
  void aDiscardedInstanceIsReportedAsSuch() {
    List<LogRecord> records = new ArrayList<>();
    Handler capture =
        new Handler() {
          @Override
          public void publish(LogRecord record) {
            synchronized (records) {
              records.add(record);
            }
          }

          @Override
          public void flush() {}

          @Override
          public void close() {}
        };
    Logger pool = Logger.getLogger("dev.pillion.wasm.InstancePool");
    pool.addHandler(capture);
    try {
      assertThatThrownBy(() -> runtime.state("hostile").get("free-trap"))
          .isInstanceOf(StateException.class);
    } finally {
      pool.removeHandler(capture);
    }
    synchronized (records) {
      assertThat(records)
          .anySatisfy(
              record -> {
                assertThat(record.getLevel()).isEqualTo(Level.WARNING);
                assertThat(record.getMessage())
                    .contains("'hostile'")
                    .contains("discarded an instance");
              });
    }
  }

  /** A hammer on one pooled store: more threads than instances, etag-guarded increments. */
  @Test
  void manyThreadsOnFewPooledInstancesLoseNoUpdate() throws Exception {
    int threads = 8;
    int increments = 500;
    List<CompletableFuture<Void>> workers = new ArrayList<>();
    java.util.concurrent.ExecutorService pool =
        java.util.concurrent.Executors.newFixedThreadPool(threads);
    for (int t = 0; t < threads; t++) {
      workers.add(
          CompletableFuture.runAsync(
              () -> {
                for (int i = 0; i < increments; i++) {
                  while (true) {
                    Optional<StateItem> current = store.get("shared");
                    long next = current.map(c -> Long.parseLong(c.valueAsString())).orElse(0L) + 1;
                    SaveRequest.Builder save = SaveRequest.builder("shared", Long.toString(next));
                    if (current.isPresent()) {
                      save.etag(current.get().etag().orElseThrow());
                    } else {
                      save.concurrency(Concurrency.FIRST_WRITE);
                    }
                    try {
                      store.save(save.build());
                      break;
                    } catch (EtagMismatchException retry) {
                      // Another thread won; read again.
                    }
                  }
                }
              },
              pool));
    }
    try {
      for (CompletableFuture<Void> worker : workers) {
        worker.get();
      }
    } finally {
      pool.shutdown();
    }
    assertThat(store.get("shared"))
        .map(StateItem::valueAsString)
        .contains(Long.toString((long) threads * increments));
    assertNothingLost();
  }
}
