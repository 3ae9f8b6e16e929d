package dev.pillion.wasm;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.google.protobuf.ByteString;
import com.google.protobuf.InvalidProtocolBufferException;
import dev.pillion.abi.AbiVersion;
import dev.pillion.abi.GuestError;
import dev.pillion.abi.StateStoreContract;
import dev.pillion.abi.state.GetRequest;
import dev.pillion.abi.state.GetResponse;
import dev.pillion.abi.state.SetRequest;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.logging.Handler;
import java.util.logging.LogRecord;
import java.util.logging.Logger;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * Loading, validation, limits and sandboxing of the Wasm host, on both engines where it matters.
 */
class WasmHostTest {
  private static WasmHost host;

  @BeforeAll
  static void startHost() {
    host = WasmHost.create();
  }

  @AfterAll
  static void stopHost() {
    host.close();
  }

  private static byte[] get(String key) {
    return GetRequest.newBuilder().setKey(key).build().toByteArray();
  }

  private static byte[] set(String key, String value) {
    return SetRequest.newBuilder()
        .setKey(key)
        .setData(ByteString.copyFromUtf8(value))
        .build()
        .toByteArray();
  }

  private static String data(byte[] response) throws InvalidProtocolBufferException {
    return GetResponse.parseFrom(response).getData().toStringUtf8();
  }

  private static WasmComponent load(ComponentSpec.Builder spec) {
    return host.load(spec.build());
  }

  @ParameterizedTest
  @EnumSource(Engine.class)
  void loadsAndCallsAVersion2Module(Engine engine) throws Exception {
    try (WasmComponent component = load(Fixtures.spec(Fixtures.MISBEHAVING).engine(engine))) {
      assertThat(component.abiVersion()).isEqualTo(AbiVersion.V2);
      assertThat(component.hasMethod(StateStoreContract.GET)).isTrue();
      assertThat(component.call(StateStoreContract.SET, set("k", "v"))).isEmpty();
      assertThat(data(component.call(StateStoreContract.GET, get("k")))).isEqualTo("v");
    }
  }

  @Test
  void rejectsBytesThatAreNotWasm() {
    assertThatThrownBy(
            () ->
                load(
                    Fixtures.spec("x")
                        .name("not-wasm")
                        .source(
                            ModuleSource.bytes(
                                "hello, I am text".getBytes(StandardCharsets.UTF_8),
                                "text bytes"))))
        .isInstanceOf(ComponentLoadException.class)
        .hasMessageContaining("component 'not-wasm'")
        .hasMessageContaining("not a WebAssembly module");
  }

  @Test
  void rejectsCorruptWasm() {
    byte[] corrupt = Fixtures.bytes(Fixtures.MISBEHAVING);
    corrupt = java.util.Arrays.copyOf(corrupt, corrupt.length / 2);
    byte[] truncated = corrupt;
    assertThatThrownBy(
            () ->
                load(
                    Fixtures.spec("x")
                        .name("corrupt")
                        .source(ModuleSource.bytes(truncated, "half a module"))))
        .isInstanceOf(ComponentLoadException.class)
        .hasMessageContaining("component 'corrupt'")
        .hasMessageContaining("not a valid WebAssembly module");
  }

  @Test
  void reportsAMissingFile(@TempDir Path dir) {
    assertThatThrownBy(
            () ->
                load(
                    Fixtures.spec("x")
                        .name("absent")
                        .source(ModuleSource.file(dir.resolve("no.wasm")))))
        .isInstanceOf(ComponentLoadException.class)
        .hasMessageContaining("cannot read file");
  }

  @Test
  void rejectsAModuleWithoutARequiredExport() {
    assertThatThrownBy(() -> load(Fixtures.spec(Fixtures.MISSING_EXPORT)))
        .isInstanceOf(ComponentLoadException.class)
        .hasMessageContaining("component 'missing-export-state'")
        .hasMessageContaining("does not export 'store_get'");
  }

  @Test
  void rejectsAnUnsupportedApiVersion() {
    assertThatThrownBy(() -> load(Fixtures.spec(Fixtures.WRONG_VERSION)))
        .isInstanceOf(ComponentLoadException.class)
        .hasMessageContaining("reports ABI version 99")
        .hasMessageContaining("supports [1, 2]");
  }

  @Test
  void rejectsImportsTheHostDoesNotGrantBeforeCompiling() {
    try (WasmHost fresh = WasmHost.create()) {
      assertThatThrownBy(() -> fresh.load(Fixtures.spec(Fixtures.FORBIDDEN_IMPORT).build()))
          .isInstanceOf(ComponentLoadException.class)
          .hasMessageContaining("imports function 'env.pillion_v1_spawn_process'")
          .hasMessageContaining("granted: wasi (wasi_snapshot_preview1.*), log (env.*)");
      assertThat(fresh.compiledModules()).isZero();
    }
  }

  @Test
  void grantsAreDenyByDefaultAndCheckedWithTheirTypes() {
    // hostile-abi-state imports only WASI; host-fault-state imports pillion_test.fault, which
    // only a test grant provides.
    assertThatThrownBy(() -> load(Fixtures.spec(Fixtures.HOST_FAULT)))
        .isInstanceOf(ComponentLoadException.class)
        .hasMessageContaining("imports function 'pillion_test.fault'");
    HostModule wrongType =
        new HostModule() {
          @Override
          public String capability() {
            return "wrong";
          }

          @Override
          public String importModule() {
            return "pillion_test";
          }

          @Override
          public java.util.Map<String, com.dylibso.chicory.wasm.types.FunctionType> functions() {
            return java.util.Map.of(
                "fault",
                com.dylibso.chicory.wasm.types.FunctionType.of(
                    java.util.List.of(), java.util.List.of()));
          }

          @Override
          public boolean isBlocking() {
            return false;
          }

          @Override
          public Binding bind(HostModuleContext context) {
            throw new AssertionError("never bound: the type check refuses the module first");
          }
        };
    assertThatThrownBy(() -> load(Fixtures.spec(Fixtures.HOST_FAULT).grant(wrongType)))
        .isInstanceOf(ComponentLoadException.class)
        .hasMessageContaining("imports function 'pillion_test.fault' as [I32] -> []")
        .hasMessageContaining("but the host's has type [] -> []");
  }

  /** A capability without functions that says it waits on the network, as a Redis client would. */
  private static HostModule networkCapability() {
    return new HostModule() {
      @Override
      public String capability() {
        return "network";
      }

      @Override
      public String importModule() {
        return "pillion_test_network";
      }

      @Override
      public java.util.Map<String, com.dylibso.chicory.wasm.types.FunctionType> functions() {
        return java.util.Map.of();
      }

      @Override
      public boolean isBlocking() {
        return true;
      }

      @Override
      public Binding bind(HostModuleContext context) {
        return List::of;
      }
    };
  }

  @Test
  void aComponentGrantedABlockingCapabilityIsBlocking() throws Exception {
    // log, the default grant, and keyvalue answer from memory.
    assertThat(
            Fixtures.spec(Fixtures.MISBEHAVING)
                .grant(
                    dev.pillion.wasm.capability.KeyValueModule.create(
                        dev.pillion.wasm.capability.KeyValueStore.builder("kv").build()))
                .build()
                .isBlocking())
        .isFalse();
    try (WasmComponent component =
        load(Fixtures.spec(Fixtures.MISBEHAVING).grant(networkCapability()))) {
      assertThat(component.isBlocking()).isTrue();
      assertThat(component.spec().isBlocking()).isTrue();
    }
  }

  @Test
  void reportsTheExitCodeOfAFailingCommand() {
    assertThatThrownBy(() -> load(Fixtures.spec(Fixtures.EXIT_NONZERO)))
        .isInstanceOf(ComponentLoadException.class)
        .hasMessageContaining("_start exited with code 3");
  }

  @Test
  void runsStartOfAGoPluginStyleCommandAndSpeaksVersion1() throws Exception {
    try (WasmComponent component = load(Fixtures.spec(Fixtures.GOPLUGIN_V01))) {
      assertThat(component.abiVersion()).isEqualTo(AbiVersion.V1);
      assertThat(component.hasMethod(StateStoreContract.BULK_GET)).isFalse();
      component.call(StateStoreContract.SET, set("a", "b"));
      assertThat(data(component.call(StateStoreContract.GET, get("a")))).isEqualTo("b");
    }
  }

  @ParameterizedTest
  @EnumSource(Engine.class)
  void aTrapDiscardsTheInstanceAndTheComponentKeepsServing(Engine engine) throws Exception {
    try (WasmComponent component = load(Fixtures.spec(Fixtures.MISBEHAVING).engine(engine))) {
      component.call(StateStoreContract.SET, set("before", "x"));
      assertThatThrownBy(() -> component.call(StateStoreContract.GET, get("trap")))
          .isInstanceOf(ComponentTrapException.class)
          .hasMessageContaining("component 'misbehaving-state', method get")
          .hasMessageContaining("discarded");
      component.call(StateStoreContract.SET, set("after", "y"));
      assertThat(data(component.call(StateStoreContract.GET, get("after")))).isEqualTo("y");
      // A single-instance component's data lived in the discarded instance's memory.
      assertThat(data(component.call(StateStoreContract.GET, get("before")))).isEmpty();
      assertThat(component.liveInstances()).isEqualTo(1);
    }
  }

  @Test
  void anInfiniteLoopTimesOutAndTheInstanceIsReplaced() throws Exception {
    ComponentLimits limits = ComponentLimits.builder().callTimeout(Duration.ofMillis(300)).build();
    try (WasmComponent component = load(Fixtures.spec(Fixtures.MISBEHAVING).limits(limits))) {
      long start = System.nanoTime();
      assertThatThrownBy(() -> component.call(StateStoreContract.GET, get("loop")))
          .isInstanceOf(ComponentTimeoutException.class)
          .hasMessageContaining("exceeded the timeout of 300 ms");
      assertThat(Duration.ofNanos(System.nanoTime() - start)).isLessThan(Duration.ofSeconds(10));
      assertThat(Thread.currentThread().isInterrupted()).isFalse();
      component.call(StateStoreContract.SET, set("k", "v"));
      assertThat(data(component.call(StateStoreContract.GET, get("k")))).isEqualTo("v");
    }
  }

  @Test
  void memoryGrowthStopsAtTheCap() throws Exception {
    ComponentLimits limits = ComponentLimits.builder().maxMemoryPages(64).build();
    try (WasmComponent component = load(Fixtures.spec(Fixtures.MISBEHAVING).limits(limits))) {
      assertThatThrownBy(() -> component.call(StateStoreContract.GET, get("grow")))
          .isInstanceOf(GuestErrorException.class)
          .hasMessageContaining("out of memory");
      assertThat(component.withInstance(GuestInstance::memoryPages)).isLessThanOrEqualTo(64);
      component.call(StateStoreContract.SET, set("still", "works"));
    }
  }

  @Test
  void aModuleNeedingMoreInitialMemoryThanItsCapIsRejected() {
    ComponentLimits limits = ComponentLimits.builder().maxMemoryPages(1).build();
    assertThatThrownBy(() -> load(Fixtures.spec(Fixtures.MISBEHAVING).limits(limits)))
        .isInstanceOf(ComponentLoadException.class)
        .hasMessageContaining("initial memory pages, more than its limit of 1");
  }

  @Test
  void oversizedRequestsAndResponsesAreRefused() throws Exception {
    ComponentLimits limits = ComponentLimits.builder().maxMessageBytes(1024 * 1024).build();
    try (WasmComponent component = load(Fixtures.spec(Fixtures.MISBEHAVING).limits(limits))) {
      assertThatThrownBy(
              () -> component.call(StateStoreContract.SET, set("big", "x".repeat(2 * 1024 * 1024))))
          .isInstanceOf(MessageTooLargeException.class)
          .hasMessageContaining("request of")
          .hasMessageContaining("exceeds the limit of 1048576 bytes");
      assertThatThrownBy(() -> component.call(StateStoreContract.GET, get("huge")))
          .isInstanceOf(MessageTooLargeException.class)
          .hasMessageContaining("response of");
      component.call(StateStoreContract.SET, set("small", "ok"));
      assertThat(data(component.call(StateStoreContract.GET, get("small")))).isEqualTo("ok");
    }
  }

  @Test
  void aResponseOutsideMemoryIsATrap() throws Exception {
    try (WasmComponent component = load(Fixtures.spec(Fixtures.MISBEHAVING))) {
      assertThatThrownBy(() -> component.call(StateStoreContract.GET, get("badptr")))
          .isInstanceOf(ComponentTrapException.class)
          .hasMessageContaining("outside the guest's");
      component.call(StateStoreContract.SET, set("k", "v"));
    }
  }

  @Test
  void guestErrorsCarryTheirCode() {
    try (WasmComponent component = load(Fixtures.spec(Fixtures.MISBEHAVING))) {
      assertThatThrownBy(() -> component.call(StateStoreContract.GET, get("etag")))
          .isInstanceOfSatisfying(
              GuestErrorException.class,
              e -> {
                assertThat(e.error().is(GuestError.ETAG_MISMATCH)).isTrue();
                assertThat(e.error().key()).contains("etag");
              });
      assertThatThrownBy(() -> component.call(StateStoreContract.GET, get("error")))
          .isInstanceOfSatisfying(
              GuestErrorException.class,
              e -> assertThat(e.error().is(GuestError.INVALID_ARGUMENT)).isTrue());
    }
  }

  @Test
  void guestOutputAndLogsGoToTheComponentLogger() throws Exception {
    List<String> lines = new ArrayList<>();
    Logger logger = Logger.getLogger("dev.pillion.component." + Fixtures.MISBEHAVING);
    Handler handler =
        new Handler() {
          @Override
          public void publish(LogRecord record) {
            synchronized (lines) {
              lines.add(record.getLevel() + " " + record.getMessage());
            }
          }

          @Override
          public void flush() {}

          @Override
          public void close() {}
        };
    logger.addHandler(handler);
    try (WasmComponent component = load(Fixtures.spec(Fixtures.MISBEHAVING))) {
      assertThat(data(component.call(StateStoreContract.GET, get("log")))).isEqualTo("logged");
    } finally {
      logger.removeHandler(handler);
    }
    assertThat(lines)
        .contains(
            "INFO hello from misbehaving-state",
            "INFO [stdout] stdout line",
            "WARNING [stderr] stderr line");
  }

  @Test
  void theFileSystemIsClosedUnlessADirectoryIsGranted(@TempDir Path dir) throws Exception {
    Files.writeString(dir.resolve("hello.txt"), "hello from the host");
    try (WasmComponent closed = load(Fixtures.spec(Fixtures.MISBEHAVING))) {
      assertThatThrownBy(() -> closed.call(StateStoreContract.GET, get("file:/data/hello.txt")))
          .isInstanceOf(GuestErrorException.class)
          .hasMessageContaining("open /data/hello.txt");
    }
    try (WasmComponent granted =
        load(Fixtures.spec(Fixtures.MISBEHAVING).preopenDirectory("/data", dir))) {
      assertThat(data(granted.call(StateStoreContract.GET, get("file:/data/hello.txt"))))
          .isEqualTo("hello from the host");
      assertThatThrownBy(() -> granted.call(StateStoreContract.GET, get("file:/etc/passwd")))
          .isInstanceOf(GuestErrorException.class);
    }
  }

  @Test
  void clockAndRandomAreAvailable() throws Exception {
    try (WasmComponent component = load(Fixtures.spec(Fixtures.MISBEHAVING))) {
      long guestSeconds =
          Long.parseLong(data(component.call(StateStoreContract.GET, get("clock"))));
      assertThat(guestSeconds)
          .isCloseTo(System.currentTimeMillis() / 1000, org.assertj.core.data.Offset.offset(5L));
      byte[] random1 =
          GetResponse.parseFrom(component.call(StateStoreContract.GET, get("random")))
              .getData()
              .toByteArray();
      byte[] random2 =
          GetResponse.parseFrom(component.call(StateStoreContract.GET, get("random")))
              .getData()
              .toByteArray();
      assertThat(random1).hasSize(16).isNotEqualTo(random2);
    }
  }

  @Test
  void aPooledComponentServesCallsInParallelAndTimesOutWhenExhausted() throws Exception {
    ComponentLimits limits =
        ComponentLimits.builder()
            .poolSize(2)
            .poolWait(Duration.ofMillis(200))
            .callTimeout(Duration.ofSeconds(2))
            .build();
    try (WasmComponent component =
        load(
            Fixtures.spec(Fixtures.MISBEHAVING)
                .instanceModel(InstanceModel.POOLED)
                .limits(limits))) {
      CompletableFuture<Throwable> loop1 = CompletableFuture.supplyAsync(() -> failure(component));
      CompletableFuture<Throwable> loop2 = CompletableFuture.supplyAsync(() -> failure(component));
      // Both loops hold an instance once the pool has made two (it makes them as calls take them).
      long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
      while (component.liveInstances() < 2 && System.nanoTime() < deadline) {
        Thread.sleep(5);
      }
      assertThatThrownBy(() -> component.call(StateStoreContract.GET, get("k")))
          .isInstanceOf(ComponentTimeoutException.class)
          .hasMessageContaining("all 2 instances stayed busy");
      assertThat(loop1.get(10, TimeUnit.SECONDS)).isInstanceOf(ComponentTimeoutException.class);
      assertThat(loop2.get(10, TimeUnit.SECONDS)).isInstanceOf(ComponentTimeoutException.class);
      assertThat(component.call(StateStoreContract.GET, get("k"))).isEmpty();
      assertThat(component.liveInstances()).isBetween(1, 2);
    }
  }

  private static Throwable failure(WasmComponent component) {
    try {
      component.call(StateStoreContract.GET, get("loop"));
      return null;
    } catch (RuntimeException e) {
      return e;
    }
  }

  @Test
  void theSameModuleBytesAreCompiledOnce() {
    byte[] wasm = Fixtures.bytes(Fixtures.MISBEHAVING);
    try (WasmComponent first =
        load(Fixtures.spec("a").name("first").source(ModuleSource.bytes(wasm, "bytes")))) {
      long start = System.nanoTime();
      try (WasmComponent second =
          load(Fixtures.spec("b").name("second").source(ModuleSource.bytes(wasm, "bytes")))) {
        assertThat(second.loadTime())
            .isLessThanOrEqualTo(Duration.ofNanos(System.nanoTime() - start));
        assertThat(second.loadTime()).isLessThan(first.loadTime().plusSeconds(1));
      }
    }
  }

  @Test
  void compiledModulesAreCachedOnDisk(@TempDir Path cache) {
    try (WasmHost cached = WasmHost.builder().compileCacheDirectory(cache).build();
        WasmComponent component = cached.load(Fixtures.spec(Fixtures.MISBEHAVING).build())) {
      assertThat(component.call(StateStoreContract.GET, get("k"))).isEmpty();
    }
    assertThat(cache.toFile().list()).isNotEmpty();
    try (WasmHost second = WasmHost.builder().compileCacheDirectory(cache).build();
        WasmComponent component = second.load(Fixtures.spec(Fixtures.MISBEHAVING).build())) {
      assertThat(component.call(StateStoreContract.GET, get("k"))).isEmpty();
    }
  }

  @Test
  void callingAMethodTheModuleLacksIsAClearError() {
    try (WasmComponent component = load(Fixtures.spec(Fixtures.GOPLUGIN_V01))) {
      assertThatThrownBy(() -> component.call(StateStoreContract.BULK_GET, new byte[0]))
          .isInstanceOf(ComponentCallException.class)
          .hasMessageContaining("does not export this method");
    }
  }
}
