package dev.pillion.testing;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;

class TestGuestsTest {
  private static final byte[] WASM_MAGIC = {0, 'a', 's', 'm'};

  @Test
  void everyCSourceOfComponentsFixturesIsAGuest() throws Exception {
    try (var sources = Files.list(Path.of("..", "components", "fixtures"))) {
      var names =
          sources
              .map(path -> path.getFileName().toString())
              .filter(file -> file.endsWith(".c"))
              .map(file -> file.substring(0, file.length() - 2))
              .toList();
      assertThat(names).isNotEmpty();
      for (String name : names) {
        assertThat(TestGuests.bytes(name)).as(name).startsWith(WASM_MAGIC);
        assertThat(Files.readAllBytes(TestGuests.path(name)))
            .as(name)
            .isEqualTo(TestGuests.bytes(name));
      }
    }
  }

  @Test
  void anUnknownGuestIsAnErrorNamingIt() {
    assertThatThrownBy(() -> TestGuests.bytes("no-such-guest"))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("no-such-guest")
        .hasMessageContaining("components/build.sh");
  }

  @Test
  void aNameThatIsNotAFileNameIsRefused() {
    assertThatThrownBy(() -> TestGuests.path("../../etc/passwd"))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("'../../etc/passwd'");
  }
}
