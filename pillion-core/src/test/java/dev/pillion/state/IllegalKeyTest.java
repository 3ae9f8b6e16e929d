package dev.pillion.state;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.pillion.state.memory.JavaInMemoryStateComponent;
import org.junit.jupiter.api.Test;

/** A key holding the prefix separator is refused with its own type, naming store and key. */
class IllegalKeyTest {
  @Test
  void aPrefixedStoreRefusesTheSeparatorWithATypedException() {
    try (JavaInMemoryStateComponent component = JavaInMemoryStateComponent.create("statestore")) {
      StateStore store =
          DefaultStateStore.create(
              "statestore", component, KeyPrefix.of("", "statestore", "orders", ""));
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
      StateStore store =
          DefaultStateStore.create(
              "statestore", component, KeyPrefix.of("none", "statestore", "orders", ""));
      store.save("a||b", "v");
      assertThat(store.get("a||b")).isPresent();
    }
  }
}
