package dev.pillion.secrets.conformance;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.pillion.abi.SecretStoreContract;
import dev.pillion.secrets.DefaultSecretStore;
import dev.pillion.secrets.SecretNotFoundException;
import dev.pillion.secrets.SecretPermissionDeniedException;
import dev.pillion.secrets.SecretScope;
import dev.pillion.secrets.SecretStore;
import dev.pillion.secrets.spi.SecretStoreComponent;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * The secret store conformance suite, modelled on components-contrib's secret store scenarios:
 * every secret store component runs it through the building block ({@link DefaultSecretStore}).
 * Subclasses say how to create a fresh component holding given single-valued secrets, and whether
 * the store answers a missing secret with an empty value (Dapr's {@code local.env}) instead of not
 * found.
 */
public abstract class SecretStoreConformanceSuite {
  protected static final String STORE = "secretstore";

  /** The secrets every component is created with. */
  protected static final Map<String, String> SECRETS = secrets();

  private SecretStoreComponent component;
  private SecretStore store;

  private static Map<String, String> secrets() {
    Map<String, String> secrets = new LinkedHashMap<>();
    // contrib's conformance secrets, and values that test the channel.
    secrets.put("conftestsecret", "abcd");
    secrets.put("secondsecret", "efgh");
    secrets.put("unicode", "päss wörd ✓ \"quoted\" \\ back/slash\nsecond line");
    secrets.put("empty", "");
    secrets.put("long", "x".repeat(64 * 1024));
    return Map.copyOf(secrets);
  }

  /**
   * Creates a fresh component named {@value #STORE} holding exactly {@link #SECRETS} (and possibly
   * unrelated secrets of its own).
   *
   * @param secrets the secrets, by name
   * @return the component under test
   */
  protected abstract SecretStoreComponent createComponent(Map<String, String> secrets);

  /**
   * Whether a secret the store does not have reads as an empty value rather than {@link
   * SecretNotFoundException} (daprd's {@code local.env} behaviour).
   *
   * @return true for an empty value
   */
  protected abstract boolean missingSecretIsEmpty();

  /**
   * The features the component under test declares, exactly: scenarios for single-valued stores are
   * skipped for one declaring {@link SecretStoreContract#MULTIPLE_KEY_VALUES_PER_SECRET}, so a
   * change in the set should be a decision, not pass unnoticed.
   *
   * @return the feature names
   */
  protected abstract Set<String> expectedFeatures();

  @BeforeEach
  void createStore() {
    component = createComponent(SECRETS);
    store = DefaultSecretStore.create(STORE, component, SecretScope.allowAll(STORE));
  }

  @AfterEach
  void closeComponent() {
    component.close();
  }

  @Test
  void declaresExactlyTheExpectedFeatures() {
    assertThat(store.features())
        .as("the features the component declares")
        .containsExactlyInAnyOrderElementsOf(expectedFeatures());
  }

  @Test
  void getsEachSecretAsItsNameAndValue() {
    SECRETS.forEach(
        (name, value) ->
            assertThat(store.get(name)).as(name).containsExactly(Map.entry(name, value)));
  }

  @Test
  void bulkGetHasEverySecret() {
    Map<String, Map<String, String>> all = store.bulkGet();
    SECRETS.forEach(
        (name, value) -> assertThat(all).as(name).containsEntry(name, Map.of(name, value)));
  }

  @Test
  void aSingleValuedStoreAnswersOneKeyPerSecret() {
    if (store.features().contains(SecretStoreContract.MULTIPLE_KEY_VALUES_PER_SECRET)) {
      return;
    }
    store
        .bulkGet()
        .forEach((name, secret) -> assertThat(secret.keySet()).as(name).containsExactly(name));
  }

  @Test
  void aMissingSecretIsNotFoundOrEmptyAsTheStoreDeclares() {
    if (missingSecretIsEmpty()) {
      assertThat(store.get("no-such-secret")).containsExactly(Map.entry("no-such-secret", ""));
    } else {
      assertThatThrownBy(() -> store.get("no-such-secret"))
          .isInstanceOfSatisfying(
              SecretNotFoundException.class,
              e -> {
                assertThat(e.store()).isEqualTo(STORE);
                assertThat(e.secret()).isEqualTo("no-such-secret");
                assertThat(e.getMessage()).contains("no-such-secret");
              });
    }
  }

  @Test
  void requestMetadataIsAccepted() {
    assertThat(store.get("conftestsecret", Map.of("namespace", "default", "version_id", "1")))
        .containsExactly(Map.entry("conftestsecret", "abcd"));
    assertThat(store.bulkGet(Map.of("namespace", "default"))).containsKey("conftestsecret");
  }

  @Test
  void answersAreSortedAndUnmodifiable() {
    Map<String, Map<String, String>> all = store.bulkGet();
    assertThat(new ArrayList<>(all.keySet())).isSorted();
    assertThatThrownBy(() -> all.put("x", Map.of()))
        .isInstanceOf(UnsupportedOperationException.class);
    Map<String, String> one = store.get("conftestsecret");
    assertThatThrownBy(() -> one.put("x", "y")).isInstanceOf(UnsupportedOperationException.class);
  }

  @Test
  void concurrentReadsAllSucceed() throws Exception {
    ExecutorService executor = Executors.newFixedThreadPool(8);
    try {
      List<Future<Boolean>> results = new ArrayList<>();
      for (int t = 0; t < 8; t++) {
        results.add(
            executor.submit(
                () -> {
                  for (int i = 0; i < 50; i++) {
                    if (!store.get("secondsecret").equals(Map.of("secondsecret", "efgh"))) {
                      return false;
                    }
                  }
                  return store.bulkGet().containsKey("conftestsecret");
                }));
      }
      for (Future<Boolean> result : results) {
        assertThat(result.get(60, TimeUnit.SECONDS)).isTrue();
      }
    } finally {
      executor.shutdownNow();
    }
  }

  @Test
  void aScopeDeniesAGetAndFiltersTheBulkGet() {
    SecretStore scoped =
        DefaultSecretStore.create(
            STORE, component, SecretScope.of(STORE, true, List.of("conftestsecret"), List.of()));
    assertThat(scoped.get("conftestsecret")).containsExactly(Map.entry("conftestsecret", "abcd"));
    assertThatThrownBy(() -> scoped.get("secondsecret"))
        .isInstanceOf(SecretPermissionDeniedException.class)
        .hasMessageContaining(
            "access denied by policy to get \"secondsecret\" from \"" + STORE + "\"");
    assertThat(scoped.bulkGet()).containsOnlyKeys("conftestsecret");
  }
}
