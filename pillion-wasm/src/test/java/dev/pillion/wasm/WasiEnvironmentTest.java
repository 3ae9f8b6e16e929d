package dev.pillion.wasm;

import static dev.pillion.wasm.WasiGuestMemoryTest.ask;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.LinkedHashMap;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Environment variables are denied by default: a guest sees exactly the variables its spec grants,
 * never the host's, and {@code environ_get} checks the guest's pointers like every WASI function.
 */
class WasiEnvironmentTest {
  private static final int EFAULT = 21;

  private static WasmHost host;

  @BeforeAll
  static void startHost() {
    host = WasmHost.create();
  }

  @AfterAll
  static void stopHost() {
    host.close();
  }

  @Test
  void aGuestSeesNoVariableUnlessGranted() throws Exception {
    assertThat(System.getenv("PATH")).as("the host has an environment").isNotNull();
    try (WasmComponent component = host.load(Fixtures.spec(Fixtures.HOSTILE_WASI).build())) {
      assertThat(ask(component, "env:")).isEmpty();
      assertThat(ask(component, "getenv:PATH")).isEqualTo("unset");
      assertThat(ask(component, "environsizes:")).isEqualTo("errno=0 count=0 size=0");
    }
  }

  @Test
  void aGuestSeesExactlyTheGrantedVariables() throws Exception {
    ComponentSpec spec =
        Fixtures.spec(Fixtures.HOSTILE_WASI)
            .environmentVariable("APP_DB_PASSWORD", "s3cret")
            .environmentVariable("APP_GREETING", "grüß dich")
            .environmentVariable("APP_EMPTY", "")
            .environmentVariable("APP_DB_PASSWORD", "replaced")
            .build();
    assertThat(spec.environment())
        .containsExactly(
            Map.entry("APP_DB_PASSWORD", "replaced"),
            Map.entry("APP_GREETING", "grüß dich"),
            Map.entry("APP_EMPTY", ""));
    try (WasmComponent component = host.load(spec)) {
      assertThat(ask(component, "getenv:APP_DB_PASSWORD")).isEqualTo("replaced");
      assertThat(ask(component, "getenv:APP_GREETING")).isEqualTo("grüß dich");
      assertThat(ask(component, "getenv:APP_EMPTY")).isEmpty();
      assertThat(ask(component, "getenv:PATH")).isEqualTo("unset");
      assertThat(ask(component, "env:"))
          .isEqualTo("APP_DB_PASSWORD=replaced\nAPP_EMPTY=\nAPP_GREETING=grüß dich");
      // Sizes in UTF-8 bytes: "APP_DB_PASSWORD=replaced\0" (25) + "APP_GREETING=grüß dich\0" (25)
      // + "APP_EMPTY=\0" (11).
      assertThat(ask(component, "environsizes:")).isEqualTo("errno=0 count=3 size=61");
    }
    assertThat(spec.toBuilder().build().environment()).isEqualTo(spec.environment());
    assertThat(spec.toBuilder().environment(Map.of()).build().environment()).isEmpty();
  }

  @Test
  void environGetChecksThePointersItWritesThrough() throws Exception {
    try (WasmComponent component =
        host.load(
            Fixtures.spec(Fixtures.HOSTILE_WASI).environmentVariable("NAME", "value").build())) {
      // Pointer array or strings past the end of memory: EFAULT, nothing written, no trap.
      assertThat(ask(component, "environ:0xFFFFFFF0:1024")).isEqualTo("errno=" + EFAULT);
      assertThat(ask(component, "environ:1024:0xFFFFFFFC")).isEqualTo("errno=" + EFAULT);
      // The instance keeps serving, environment intact.
      assertThat(ask(component, "getenv:NAME")).isEqualTo("value");
    }
  }

  @Test
  void namesAndValuesThatCannotBeVariablesAreRefusedByName() {
    ComponentSpec.Builder builder = Fixtures.spec(Fixtures.HOSTILE_WASI);
    assertThatThrownBy(() -> builder.environmentVariable("A=B", "x"))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("'A=B'");
    assertThatThrownBy(() -> builder.environmentVariable("", "x"))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("non-empty");
    assertThatThrownBy(() -> builder.environmentVariable("NUL\0NAME", "x"))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("NUL\\0NAME");
    assertThatThrownBy(() -> builder.environmentVariable("TOKEN", "a\0b"))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage("the value of environment variable TOKEN contains NUL");
    Map<String, String> bad = new LinkedHashMap<>();
    bad.put("GOOD", "1");
    bad.put("BAD=", "2");
    assertThatThrownBy(() -> builder.environment(bad))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("'BAD='");
  }
}
