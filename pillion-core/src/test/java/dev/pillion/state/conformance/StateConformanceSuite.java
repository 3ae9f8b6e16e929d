package dev.pillion.state.conformance;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.pillion.state.BulkStateException;
import dev.pillion.state.BulkStateItem;
import dev.pillion.state.Concurrency;
import dev.pillion.state.Consistency;
import dev.pillion.state.DefaultStateStore;
import dev.pillion.state.DeleteRequest;
import dev.pillion.state.EtagMismatchException;
import dev.pillion.state.GetRequest;
import dev.pillion.state.InvalidStateRequestException;
import dev.pillion.state.KeyPrefix;
import dev.pillion.state.SaveRequest;
import dev.pillion.state.StateFeature;
import dev.pillion.state.StateItem;
import dev.pillion.state.StateNotSupportedException;
import dev.pillion.state.StateStore;
import dev.pillion.state.TransactionOperation;
import dev.pillion.state.spi.StateComponent;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Nested;
import org.junit.jupiter.api.Test;

/**
 * The state conformance suite, modelled on Dapr components-contrib's state conformance scenarios.
 * Every state component runs it: subclasses only say how to create a fresh component. Requests go
 * through the building block ({@link DefaultStateStore}) with the default key prefix for app id
 * {@value #APP_ID}.
 *
 * <p>Scenarios of an optional operation run only for components that declare it, as contrib gates
 * its scenarios on a component's features: etags ({@link StateFeature#ETAG}), transactions ({@link
 * StateFeature#TRANSACTIONAL}), TTL ({@link StateFeature#TTL}); a component declaring none of them
 * runs the rest, and the block's refusal of what it does not declare.
 */
public abstract class StateConformanceSuite {
  protected static final String APP_ID = "conformance";
  protected static final String STORE = "statestore";

  protected StateComponent component;
  protected StateStore store;

  /**
   * Creates a fresh, empty component named {@value #STORE}.
   *
   * @return the component under test
   */
  protected abstract StateComponent createComponent();

  /**
   * The features the component under test declares, exactly. Scenarios of an optional operation are
   * skipped for a component that does not declare it, so a component that stopped declaring one
   * would pass by skipping them; pinning the set makes that a failure instead.
   *
   * @return the feature names, such as {@link StateFeature#ETAG}
   */
  protected abstract Set<String> expectedFeatures();

  @BeforeEach
  void createStore() {
    component = createComponent();
    store = DefaultStateStore.create(STORE, component, KeyPrefix.of("", STORE, APP_ID, "default"));
  }

  @AfterEach
  void closeComponent() {
    component.close();
  }

  private static byte[] utf8(String text) {
    return text.getBytes(StandardCharsets.UTF_8);
  }

  private StateItem require(String key) {
    Optional<StateItem> item = store.get(key);
    assertThat(item).as("item %s", key).isPresent();
    return item.orElseThrow();
  }

  /** Skips the calling test unless the component declares the feature. */
  protected void requires(String feature) {
    Assumptions.assumeTrue(
        store.features().contains(feature),
        () -> "the component does not declare " + feature + "; its scenarios do not apply");
  }

  @Test
  void declaresExactlyTheExpectedFeatures() {
    assertThat(store.features())
        .as("the features the component declares")
        .containsExactlyInAnyOrderElementsOf(expectedFeatures());
  }

  @Test
  void declaresOnlyDaprsStateFeatures() {
    assertThat(store.features())
        .isSubsetOf(
            StateFeature.ETAG,
            StateFeature.TRANSACTIONAL,
            StateFeature.TTL,
            StateFeature.QUERY_API,
            "ACTOR",
            "PARTITION_KEY");
  }

  @Test
  void theBlockRefusesOperationsTheComponentDoesNotDeclare() {
    if (!store.features().contains(StateFeature.TRANSACTIONAL)) {
      assertThatThrownBy(
              () ->
                  store.transact(
                      List.of(TransactionOperation.upsert(SaveRequest.builder("k", "v").build())),
                      Map.of()))
          .isInstanceOf(StateNotSupportedException.class);
    }
    if (!store.features().contains(StateFeature.TTL)) {
      assertThatThrownBy(() -> store.save(SaveRequest.builder("k", "v").ttlInSeconds(10).build()))
          .isInstanceOf(StateNotSupportedException.class);
    }
    // Either way the component itself is untouched by a refused request.
    assertThat(store.get("k")).isEmpty();
  }

  @Nested
  class Values {
    @Test
    void savesAndReadsText() {
      store.save("text", "hello, world");
      assertThat(require("text").valueAsString()).isEqualTo("hello, world");
    }

    @Test
    void savesAndReadsJson() {
      String json = "{\"message\":\"the quick brown fox\",\"count\":42,\"nested\":{\"ok\":true}}";
      store.save(SaveRequest.builder("json", json).contentType("application/json").build());
      StateItem item = require("json");
      assertThat(item.valueAsString()).isEqualTo(json);
      assertThat(item.contentType()).contains("application/json");
    }

    @Test
    void savesAndReadsEmptyValue() {
      store.save("empty", new byte[0]);
      StateItem item = require("empty");
      assertThat(item.value()).isEmpty();
      assertThat(item.etag().isPresent()).isEqualTo(store.features().contains(StateFeature.ETAG));
    }

    @Test
    void savesAndReadsEveryByteValue() {
      byte[] binary = new byte[256];
      for (int i = 0; i < binary.length; i++) {
        binary[i] = (byte) i;
      }
      store.save("binary", binary);
      assertThat(require("binary").value()).isEqualTo(binary);
    }

    @Test
    void savesAndReadsLargeValue() {
      byte[] large = new byte[256 * 1024];
      new java.util.Random(7).nextBytes(large);
      store.save("large", large);
      assertThat(require("large").value()).isEqualTo(large);
    }

    @Test
    void savesAndReadsUnicodeKeysAndValues() {
      store.save("ключ-🔑", "値 — ✓");
      assertThat(require("ключ-🔑").valueAsString()).isEqualTo("値 — ✓");
    }

    @Test
    void missingKeyReadsAsEmpty() {
      assertThat(store.get("never-written")).isEmpty();
    }

    @Test
    void overwriteReplacesValue() {
      store.save("k", "one");
      store.save("k", "two");
      assertThat(require("k").valueAsString()).isEqualTo("two");
    }

    @Test
    void strongConsistencyReadsLatestWrite() {
      store.save(SaveRequest.builder("strong", "v").consistency(Consistency.STRONG).build());
      assertThat(store.get(GetRequest.builder("strong").consistency(Consistency.STRONG).build()))
          .map(StateItem::valueAsString)
          .contains("v");
    }

    @Test
    void emptyKeyIsRejected() {
      assertThatThrownBy(() -> store.save("", "v"))
          .isInstanceOf(InvalidStateRequestException.class)
          .hasMessageContaining("key is empty");
      assertThatThrownBy(() -> store.get("")).isInstanceOf(InvalidStateRequestException.class);
    }
  }

  @Nested
  class Deletes {
    @Test
    void deleteRemovesKey() {
      store.save("gone", "v");
      store.delete("gone");
      assertThat(store.get("gone")).isEmpty();
    }

    @Test
    void deleteOfMissingKeySucceeds() {
      store.delete("never-there");
      assertThat(store.get("never-there")).isEmpty();
    }

    @Test
    void bulkDeleteRemovesAllKeys() {
      store.save("d1", "1");
      store.save("d2", "2");
      store.deleteAll(
          List.of(DeleteRequest.of("d1"), DeleteRequest.of("d2"), DeleteRequest.of("d3-missing")));
      assertThat(store.get("d1")).isEmpty();
      assertThat(store.get("d2")).isEmpty();
    }
  }

  @Nested
  class Bulk {
    @Test
    void bulkGetKeepsOrderAndReportsMissingKeys() {
      store.saveAll(
          List.of(
              SaveRequest.builder("b1", "one").build(),
              SaveRequest.builder("b3", "three").build()));
      List<BulkStateItem> items = store.bulkGet(List.of("b1", "b2-missing", "b3"));
      assertThat(items).extracting(BulkStateItem::key).containsExactly("b1", "b2-missing", "b3");
      assertThat(items.get(0).item()).map(StateItem::valueAsString).contains("one");
      assertThat(items.get(1).item()).isEmpty();
      assertThat(items.get(1).error()).isEmpty();
      assertThat(items.get(2).item()).map(StateItem::valueAsString).contains("three");
      assertThat(items.get(2).item().flatMap(StateItem::etag).isPresent())
          .isEqualTo(store.features().contains(StateFeature.ETAG));
    }

    @Test
    void bulkGetOfNoKeysIsEmpty() {
      assertThat(store.bulkGet(List.of())).isEmpty();
    }

    @Test
    void bulkSaveFailureNamesTheKey() {
      requires(StateFeature.ETAG);
      store.save("p1", "v1");
      store.save("p2", "v2");
      List<SaveRequest> batch =
          List.of(
              SaveRequest.builder("p1", "new1").build(),
              SaveRequest.builder("p2", "new2").etag("not-the-etag").build());
      assertThatThrownBy(() -> store.saveAll(batch))
          .isInstanceOfSatisfying(
              BulkStateException.class,
              e -> {
                assertThat(e.failures())
                    .extracting(BulkStateException.KeyFailure::key)
                    .containsExactly("p2");
                assertThat(e.failures().get(0).error()).isInstanceOf(EtagMismatchException.class);
              })
          .hasMessageContaining("'p2'");
      assertThat(require("p2").valueAsString()).isEqualTo("v2");
    }
  }

  @Nested
  class Etags {
    @BeforeEach
    void requiresFeature() {
      requires(StateFeature.ETAG);
    }

    @Test
    void everyWriteGetsANewEtag() {
      Set<String> etags = new HashSet<>();
      for (int i = 0; i < 5; i++) {
        store.save("e", "v" + i);
        etags.add(require("e").etag().orElseThrow());
      }
      assertThat(etags).hasSize(5);
    }

    @Test
    void saveWithMatchingEtagSucceeds() {
      store.save("e", "v1");
      String etag = require("e").etag().orElseThrow();
      store.save(SaveRequest.builder("e", "v2").etag(etag).build());
      StateItem item = require("e");
      assertThat(item.valueAsString()).isEqualTo("v2");
      assertThat(item.etag()).isPresent().get().isNotEqualTo(etag);
    }

    @Test
    void saveWithStaleEtagIsAMismatch() {
      store.save("e", "v1");
      String stale = require("e").etag().orElseThrow();
      store.save("e", "v2");
      assertThatThrownBy(() -> store.save(SaveRequest.builder("e", "v3").etag(stale).build()))
          .isInstanceOfSatisfying(
              EtagMismatchException.class, e -> assertThat(e.key()).isEqualTo("e"));
      assertThat(require("e").valueAsString()).isEqualTo("v2");
    }

    @Test
    void saveWithEtagOfMissingKeyIsAMismatch() {
      assertThatThrownBy(() -> store.save(SaveRequest.builder("absent", "v").etag("1234").build()))
          .isInstanceOf(EtagMismatchException.class);
      assertThat(store.get("absent")).isEmpty();
    }

    @Test
    void deleteWithStaleEtagIsAMismatchAndKeepsItem() {
      store.save("e", "v1");
      String stale = require("e").etag().orElseThrow();
      store.save("e", "v2");
      assertThatThrownBy(() -> store.delete(DeleteRequest.builder("e").etag(stale).build()))
          .isInstanceOf(EtagMismatchException.class);
      assertThat(store.get("e")).isPresent();
      store.delete(DeleteRequest.builder("e").etag(require("e").etag().orElseThrow()).build());
      assertThat(store.get("e")).isEmpty();
    }
  }

  @Nested
  class FirstWrite {
    @BeforeEach
    void requiresFeature() {
      requires(StateFeature.ETAG);
    }

    @Test
    void firstWriteWithoutEtagCreatesNewKey() {
      store.save(SaveRequest.builder("fw", "first").concurrency(Concurrency.FIRST_WRITE).build());
      assertThat(require("fw").valueAsString()).isEqualTo("first");
    }

    @Test
    void firstWriteWithoutEtagFailsWhenKeyExists() {
      store.save("fw", "first");
      assertThatThrownBy(
              () ->
                  store.save(
                      SaveRequest.builder("fw", "second")
                          .concurrency(Concurrency.FIRST_WRITE)
                          .build()))
          .isInstanceOf(EtagMismatchException.class);
      assertThat(require("fw").valueAsString()).isEqualTo("first");
    }

    @Test
    void onlyTheFirstOfTwoWritersWithTheSameEtagWins() {
      store.save("fw", "v0");
      String etag = require("fw").etag().orElseThrow();
      store.save(
          SaveRequest.builder("fw", "writer-1")
              .etag(etag)
              .concurrency(Concurrency.FIRST_WRITE)
              .build());
      assertThatThrownBy(
              () ->
                  store.save(
                      SaveRequest.builder("fw", "writer-2")
                          .etag(etag)
                          .concurrency(Concurrency.FIRST_WRITE)
                          .build()))
          .isInstanceOf(EtagMismatchException.class);
      assertThat(require("fw").valueAsString()).isEqualTo("writer-1");
    }

    @Test
    void lastWriteWithoutEtagOverwrites() {
      store.save("lw", "v1");
      store.save(SaveRequest.builder("lw", "v2").concurrency(Concurrency.LAST_WRITE).build());
      assertThat(require("lw").valueAsString()).isEqualTo("v2");
    }
  }

  @Nested
  class Transactions {
    @BeforeEach
    void requiresFeature() {
      requires(StateFeature.TRANSACTIONAL);
    }

    @Test
    void upsertsAndDeletesApplyTogether() {
      store.save("t-delete", "x");
      store.transact(
          List.of(
              TransactionOperation.upsert(SaveRequest.builder("t1", "one").build()),
              TransactionOperation.upsert(SaveRequest.builder("t2", "two").build()),
              TransactionOperation.delete(DeleteRequest.of("t-delete"))));
      assertThat(require("t1").valueAsString()).isEqualTo("one");
      assertThat(require("t2").valueAsString()).isEqualTo("two");
      assertThat(store.get("t-delete")).isEmpty();
    }

    @Test
    void deleteOfMissingKeySucceeds() {
      store.transact(
          List.of(
              TransactionOperation.delete(DeleteRequest.of("t-missing")),
              TransactionOperation.upsert(SaveRequest.builder("t-after", "ok").build())));
      assertThat(require("t-after").valueAsString()).isEqualTo("ok");
    }

    @Test
    void operationsApplyInOrder() {
      store.save("order", "initial");
      store.transact(
          List.of(
              TransactionOperation.delete(DeleteRequest.of("order")),
              TransactionOperation.upsert(SaveRequest.builder("order", "first").build()),
              TransactionOperation.delete(DeleteRequest.of("order")),
              TransactionOperation.upsert(SaveRequest.builder("order", "second").build())));
      assertThat(require("order").valueAsString()).isEqualTo("second");

      store.transact(
          List.of(
              TransactionOperation.upsert(SaveRequest.builder("order2", "x").build()),
              TransactionOperation.delete(DeleteRequest.of("order2"))));
      assertThat(store.get("order2")).isEmpty();
    }

    @Test
    void aFailingOperationRollsBackTheWholeTransaction() {
      store.save("keep", "original");
      assertThatThrownBy(
              () ->
                  store.transact(
                      List.of(
                          TransactionOperation.upsert(
                              SaveRequest.builder("keep", "changed").build()),
                          TransactionOperation.upsert(
                              SaveRequest.builder("new-key", "new").build()),
                          TransactionOperation.delete(
                              DeleteRequest.builder("keep").etag("stale-etag").build()))))
          .isInstanceOfSatisfying(
              EtagMismatchException.class, e -> assertThat(e.key()).isEqualTo("keep"));
      assertThat(require("keep").valueAsString()).isEqualTo("original");
      assertThat(store.get("new-key")).isEmpty();
    }

    @Test
    void etagsChangeForEveryUpsert() {
      requires(StateFeature.ETAG);
      store.save("tx-etag", "v1");
      String before = require("tx-etag").etag().orElseThrow();
      store.transact(
          List.of(
              TransactionOperation.upsert(
                  SaveRequest.builder("tx-etag", "v2").etag(before).build())));
      assertThat(require("tx-etag").etag()).isPresent().get().isNotEqualTo(before);
    }
  }

  @Nested
  class Ttl {
    @BeforeEach
    void requiresFeature() {
      requires(StateFeature.TTL);
    }

    @Test
    void invalidTtlIsRejected() {
      for (String bad : List.of("foo", "1.5", "-2")) {
        assertThatThrownBy(
                () ->
                    store.save(
                        SaveRequest.builder("ttl-bad", "v").metadata("ttlInSeconds", bad).build()))
            .as("ttlInSeconds=%s", bad)
            .isInstanceOf(InvalidStateRequestException.class)
            .hasMessageContaining("ttlInSeconds");
      }
      assertThat(store.get("ttl-bad")).isEmpty();
    }

    @Test
    void itemWithoutTtlHasNoExpireTime() {
      store.save("no-ttl", "v");
      assertThat(require("no-ttl").metadata()).doesNotContainKey(StateItem.TTL_EXPIRE_TIME);
    }

    @Test
    void itemWithTtlReportsExpireTime() {
      Instant before = Instant.now().minusSeconds(1);
      store.save(SaveRequest.builder("with-ttl", "v").ttlInSeconds(1000).build());
      Instant expiry = require("with-ttl").ttlExpireTime().orElseThrow();
      assertThat(expiry).isBetween(before.plusSeconds(1000), Instant.now().plusSeconds(1001));
      assertThat(require("with-ttl").metadata().get(StateItem.TTL_EXPIRE_TIME))
          .matches("\\d{4}-\\d\\d-\\d\\dT\\d\\d:\\d\\d:\\d\\dZ");
    }

    @Test
    void itemExpires() throws InterruptedException {
      store.save(SaveRequest.builder("short", "v").ttlInSeconds(1).build());
      assertThat(store.get("short")).isPresent();
      long deadline = System.nanoTime() + Duration.ofSeconds(5).toNanos();
      while (store.get("short").isPresent() && System.nanoTime() < deadline) {
        Thread.sleep(100);
      }
      assertThat(store.get("short")).isEmpty();
      assertThat(store.bulkGet(List.of("short")).get(0).item()).isEmpty();
    }

    @Test
    void minusOneRemovesTtl() {
      store.save(SaveRequest.builder("ttl-removed", "v1").ttlInSeconds(1000).build());
      assertThat(require("ttl-removed").ttlExpireTime()).isPresent();
      store.save(SaveRequest.builder("ttl-removed", "v2").ttlInSeconds(-1).build());
      StateItem item = require("ttl-removed");
      assertThat(item.valueAsString()).isEqualTo("v2");
      assertThat(item.ttlExpireTime()).isEmpty();
    }
  }

  @Nested
  class KeyPrefixes {
    private StateStore view(String strategy) {
      return DefaultStateStore.create(
          STORE, component, KeyPrefix.of(strategy, STORE, APP_ID, "default"));
    }

    @Test
    void appIdPrefixIsTheDefault() {
      store.save("pk", "v");
      assertThat(view("none").get(APP_ID + "||pk")).map(StateItem::valueAsString).contains("v");
    }

    @Test
    void namePrefixUsesStoreName() {
      view("name").save("pk", "v");
      assertThat(view("none").get(STORE + "||pk")).isPresent();
    }

    @Test
    void namespacePrefixUsesNamespaceAndAppId() {
      view("namespace").save("pk", "v");
      assertThat(view("none").get("default." + APP_ID + "||pk")).isPresent();
    }

    @Test
    void literalPrefix() {
      view("shared-prefix").save("pk", "v");
      assertThat(view("none").get("shared-prefix||pk")).isPresent();
    }

    @Test
    void noPrefix() {
      view("none").save("plain", "v");
      assertThat(view("none").get("plain")).isPresent();
      assertThat(store.get("plain")).isEmpty();
    }

    @Test
    void bulkGetReturnsKeysWithoutPrefix() {
      store.save("bk", "v");
      assertThat(store.bulkGet(List.of("bk"))).extracting(BulkStateItem::key).containsExactly("bk");
    }

    @Test
    void keysContainingSeparatorAreIllegalWithAPrefix() {
      assertThatThrownBy(() -> store.save("a||b", "v"))
          .isInstanceOf(InvalidStateRequestException.class)
          .hasMessageContaining("a||b");
      view("none").save("a||b", "allowed without prefix");
    }

    @Test
    void etagMismatchNamesTheApplicationKey() {
      requires(StateFeature.ETAG);
      store.save("pk", "v");
      assertThatThrownBy(() -> store.save(SaveRequest.builder("pk", "w").etag("wrong").build()))
          .isInstanceOfSatisfying(
              EtagMismatchException.class, e -> assertThat(e.key()).isEqualTo("pk"));
    }
  }

  @Nested
  class Concurrent {
    /**
     * A hammer: threads increment one counter with read-modify-write and etag retries; no update is
     * lost.
     */
    @Test
    void etagRetriesMakeConcurrentIncrementsExact() throws Exception {
      requires(StateFeature.ETAG);
      int threads = 8;
      int incrementsPerThread = 150;
      store.save("counter", "0");
      ExecutorService pool = Executors.newFixedThreadPool(threads);
      CountDownLatch start = new CountDownLatch(1);
      List<Future<Integer>> results = new ArrayList<>();
      for (int t = 0; t < threads; t++) {
        results.add(
            pool.submit(
                () -> {
                  start.await();
                  int conflicts = 0;
                  for (int i = 0; i < incrementsPerThread; i++) {
                    while (true) {
                      StateItem item = require("counter");
                      long next = Long.parseLong(item.valueAsString()) + 1;
                      try {
                        store.save(
                            SaveRequest.builder("counter", Long.toString(next))
                                .etag(item.etag().orElseThrow())
                                .concurrency(Concurrency.FIRST_WRITE)
                                .build());
                        break;
                      } catch (EtagMismatchException e) {
                        conflicts++;
                      }
                    }
                  }
                  return conflicts;
                }));
      }
      start.countDown();
      for (Future<Integer> result : results) {
        result.get(120, TimeUnit.SECONDS);
      }
      pool.shutdown();
      assertThat(require("counter").valueAsString())
          .isEqualTo(Integer.toString(threads * incrementsPerThread));
    }

    @Test
    void parallelWritersToDistinctKeysAllLand() throws Exception {
      ExecutorService pool = Executors.newFixedThreadPool(4);
      List<Future<?>> results = new ArrayList<>();
      for (int t = 0; t < 4; t++) {
        int thread = t;
        results.add(
            pool.submit(
                () -> {
                  for (int i = 0; i < 100; i++) {
                    store.save("t" + thread + "-" + i, utf8("v" + i));
                  }
                }));
      }
      for (Future<?> result : results) {
        result.get(60, TimeUnit.SECONDS);
      }
      pool.shutdown();
      List<String> keys = new ArrayList<>();
      for (int t = 0; t < 4; t++) {
        for (int i = 0; i < 100; i++) {
          keys.add("t" + t + "-" + i);
        }
      }
      assertThat(store.bulkGet(keys, Map.of()))
          .allSatisfy(item -> assertThat(item.item()).isPresent());
    }
  }
}
