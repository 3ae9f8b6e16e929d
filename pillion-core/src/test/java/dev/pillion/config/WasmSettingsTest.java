package dev.pillion.config;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.pillion.abi.StateStoreContract;
import dev.pillion.wasm.ComponentSpec;
import dev.pillion.wasm.HostModule;
import dev.pillion.wasm.ModuleSource;
import dev.pillion.wasm.Preopen;
import dev.pillion.wasm.capability.KeyValueStore;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The host settings of a Wasm component's metadata: preopens, their quota, the output budget. */
class WasmSettingsTest {
  @TempDir Path base;

  @BeforeEach
  void directories() throws IOException {
    Files.createDirectory(base.resolve("config"));
    Files.createDirectory(base.resolve("scratch"));
  }

  private ComponentSpec spec(String... metadata) {
    ComponentDefinition.Builder definition =
        ComponentDefinition.builder("store", "state.wasm").baseDirectory(base);
    for (int i = 0; i < metadata.length; i += 2) {
      definition.metadata(metadata[i], metadata[i + 1]);
    }
    return WasmSettings.spec(definition.build(), ModuleSource.bytes(new byte[0], "nothing"))
        .contract(StateStoreContract.CONTRACT)
        .build();
  }

  @Test
  void preopensAreReadOnlyUnlessMarkedRw() {
    ComponentSpec spec =
        spec("wasm.preopens", "/config=config, /scratch=scratch:rw, /again=config:ro");
    assertThat(spec.preopens())
        .containsExactly(
            Preopen.readOnly("/config", base.resolve("config")),
            Preopen.writable("/scratch", base.resolve("scratch"), 64L << 20),
            Preopen.readOnly("/again", base.resolve("config")));
    assertThat(WasmSettings.DEFAULT_PREOPEN_QUOTA).isEqualTo(64L << 20);
  }

  @Test
  void theQuotaAppliesToWritablePreopens() {
    ComponentSpec spec =
        spec("wasm.preopens", "/config=config,/scratch=scratch:rw", "wasm.preopenQuota", "3Mi");
    assertThat(spec.preopens())
        .containsExactly(
            Preopen.readOnly("/config", base.resolve("config")),
            Preopen.writable("/scratch", base.resolve("scratch"), 3L << 20));
    assertThat(spec("wasm.preopenQuota", "4096", "wasm.preopens", "/s=scratch:rw").preopens())
        .containsExactly(Preopen.writable("/s", base.resolve("scratch"), 4096));
  }

  @Test
  void aQuotaWithoutAWritablePreopenIsAnError() {
    assertThatThrownBy(() -> spec("wasm.preopens", "/config=config", "wasm.preopenQuota", "1Mi"))
        .isInstanceOf(ComponentConfigException.class)
        .hasMessageContaining("component 'store'")
        .hasMessageContaining("wasm.preopenQuota")
        .hasMessageContaining(":rw");
  }

  @Test
  void badValuesNameTheComponentAndField() {
    assertThatThrownBy(() -> spec("wasm.preopenQuota", "lots"))
        .isInstanceOf(ComponentConfigException.class)
        .hasMessageContaining("component 'store'")
        .hasMessageContaining("invalid metadata 'wasm.preopenQuota' = 'lots'")
        .hasMessageContaining("not a byte count");
    assertThatThrownBy(() -> spec("wasm.preopenQuota", "99999999999999999999Gi"))
        .isInstanceOf(ComponentConfigException.class)
        .hasMessageContaining("wasm.preopenQuota");
    assertThatThrownBy(() -> spec("wasm.preopens", "/a=config,/a=scratch:rw"))
        .isInstanceOf(ComponentConfigException.class)
        .hasMessageContaining("wasm.preopens")
        .hasMessageContaining("granted twice");
    assertThatThrownBy(() -> spec("wasm.preopens", "/a=absent:rw"))
        .isInstanceOf(ComponentConfigException.class)
        .hasMessageContaining("wasm.preopens")
        .hasMessageContaining("does not exist");
    assertThatThrownBy(() -> spec("wasm.preopens", "data=config"))
        .isInstanceOf(ComponentConfigException.class)
        .hasMessageContaining("expected /guest=hostdir");
    assertThatThrownBy(() -> spec("wasm.outputBytesPerSecond", "0"))
        .isInstanceOf(ComponentConfigException.class)
        .hasMessageContaining("invalid metadata 'wasm.outputBytesPerSecond' = '0'")
        .hasMessageContaining("must be positive");
    assertThatThrownBy(() -> spec("wasm.outputBytesPerSecond", "fast"))
        .isInstanceOf(ComponentConfigException.class)
        .hasMessageContaining("wasm.outputBytesPerSecond");
  }

  @Test
  void theOutputRateIsABudgetInBytesPerSecond() {
    assertThat(spec("wasm.outputBytesPerSecond", "128Ki").limits().outputBytesPerSecond())
        .isEqualTo(128 * 1024);
    assertThat(spec("wasm.outputBytesPerSecond", "1000").limits().outputBytesPerSecond())
        .isEqualTo(1000);
    assertThat(spec().limits().outputBytesPerSecond()).isEqualTo(256 * 1024);
  }

  @Test
  void capabilitiesAndKeyValueCapacityAreGrantedByMetadata() {
    assertThat(spec().grants()).extracting(HostModule::capability).containsExactly("log");
    assertThat(spec("wasm.capabilities", "keyvalue, log").grants())
        .extracting(HostModule::capability)
        .containsExactly("keyvalue", "log");
    assertThat(spec("wasm.capabilities", "").grants()).isEmpty();
    ComponentDefinition sized =
        ComponentDefinition.builder("store", "state.wasm")
            .metadata("wasm.keyvalue.maxBytes", "2Mi")
            .metadata("wasm.keyvalue.maxItems", "10")
            .build();
    KeyValueStore store = WasmSettings.keyValueStore(sized, false);
    assertThat(store.maxBytes()).isEqualTo(2L << 20);
    assertThat(store.maxItems()).isEqualTo(10);
    assertThatThrownBy(() -> spec("wasm.capabilities", "log,network"))
        .isInstanceOf(ComponentConfigException.class)
        .hasMessageContaining("component 'store'")
        .hasMessageContaining("unknown capability 'network'");
    assertThatThrownBy(() -> spec("wasm.keyvalue.maxBytes", "0"))
        .isInstanceOf(ComponentConfigException.class)
        .hasMessageContaining("wasm.keyvalue.maxBytes");
    assertThatThrownBy(() -> spec("wasm.keyvalue.maxItems", "many"))
        .isInstanceOf(ComponentConfigException.class)
        .hasMessageContaining("wasm.keyvalue.maxItems");
  }
}
