package dev.pillion.state;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.pillion.state.memory.JavaInMemoryStateComponent;
import org.junit.jupiter.api.Test;

/** A key holding the prefix separator is refused with its own type, naming store and key. */
class IllegalKeyTest {
  private static StateStore store(JavaInMemoryStateComponent component, String keyPrefix) {
    return DefaultStateStore.create(
        "statestore", component, KeyPrefix.of(keyPrefix, "statestore", "orders", ""));
  }

  @Test
  void aPrefixedStoreRefusesTheSeparatorWithATypedException() {
    try (JavaInMemoryStateComponent component = JavaInMemoryStateComponent.create("statestore")) {
      StateStore store = store(component, "");
      assertThatThrownBy(() -> store.save("a||b", "v"))
          .isInstanceOfSatisfying(
              IllegalKeyException.class,
              e -> {
                assertThat(e.key()).isEqualTo("a||b");
                assertThat(e.store()).isEqualTo("statestore");
                assertThat(e)
                    .hasMessage("state store 'statestore': input key 'a||b' can't contain '||'");
              });
    }
  }

  @Test
  void anUnprefixedStoreAcceptsIt() {
    try (JavaInMemoryStateComponent component = JavaInMemoryStateComponent.create("statestore")) {
      StateStore store = store(component, "none");
      store.save("a||b", "v");
      assertThat(store.get("a||b")).isPresent();
    }
  }
}
