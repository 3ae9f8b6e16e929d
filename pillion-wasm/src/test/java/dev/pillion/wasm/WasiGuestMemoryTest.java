package dev.pillion.wasm;

import static org.assertj.core.api.Assertions.assertThat;

import com.google.protobuf.ByteString;
import com.google.protobuf.InvalidProtocolBufferException;
import dev.pillion.abi.StateStoreContract;
import dev.pillion.abi.state.GetRequest;
import dev.pillion.abi.state.GetResponse;
import dev.pillion.abi.state.SetRequest;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * WASI functions check every guest pointer and length against the guest's memory before reading,
 * writing or allocating anything: the hostile fixture asks for 2 GB and 0xFFFFFFFF-byte buffers,
 * the call answers an errno, and the instance (with its data) keeps serving.
 */
class WasiGuestMemoryTest {
  private static final int EFAULT = 21;

  private static WasmHost host;
  @TempDir static Path data;

  @BeforeAll
  static void startHost() throws Exception {
    host = WasmHost.create();
    Files.writeString(data.resolve("hello.txt"), "hello from the host");
  }

  @AfterAll
  static void stopHost() {
    host.close();
  }

  static String ask(WasmComponent component, String key) throws InvalidProtocolBufferException {
    byte[] request = GetRequest.newBuilder().setKey(key).build().toByteArray();
    return GetResponse.parseFrom(component.call(StateStoreContract.GET, request))
        .getData()
        .toStringUtf8();
  }

  static void save(WasmComponent component, String key, String value) {
    component.call(
        StateStoreContract.SET,
        SetRequest.newBuilder()
            .setKey(key)
            .setData(ByteString.copyFromUtf8(value))
            .build()
            .toByteArray());
  }

  private static WasmComponent hostile() {
    return host.load(Fixtures.spec(Fixtures.HOSTILE_WASI).preopenDirectory("/data", data).build());
  }

  @ParameterizedTest(name = "{0} -> {1}")
  @CsvSource(
      delimiter = ';',
      value = {
        // fd_read on stdin: 0xFFFFFFFF made Chicory throw NegativeArraySizeException, ~2 GB made it
        // allocate 2 GB on the host.
        "read:0:0xFFFFFFFF; errno=21 n=0",
        "read:0:0x7FFFFFF0; errno=21 n=0",
        "read:3:0x7FFFFFF0; errno=21 n=0",
        "readiovs:0x20000000; errno=28 n=0",
        "readiovs:1025; errno=28 n=0",
        "pread:0:0xFFFFFFFF; errno=21 n=0",
        "write:1:0x7FFFFFF0; errno=21 n=0",
        "write:2:0xFFFFFFFF; errno=21 n=0",
        "pwrite:1:0x7FFFFFF0; errno=21 n=0",
        "random:0x7FFFFFF0; errno=21",
        "random:0xFFFFFFFF; errno=21",
        "pathlen:0x7FFFFFF0; errno=37",
        "readdir:0xFFFFFFFF; errno=21",
        "prestat:0xFFFFFFFF; errno=21",
        "poll:0x7FFFFFFF; errno=21",
        "clockptr:0xFFFFFFF0; errno=21",
        "nreadptr:0xFFFFFFFE; errno=21",
        // and the same functions with sane lengths still work
        "read:0:16; errno=0 n=0",
        "readiovs:64; errno=0 n=0",
        "write:1:16; errno=0 n=16",
        "random:65536; errno=0",
        "readdir:4096; errno=0",
        "prestat:5; errno=0",
      })
  void outOfMemoryRangesAnswerAnErrnoAndTheInstanceKeepsServing(String key, String expected)
      throws Exception {
    try (WasmComponent component = hostile()) {
      save(component, "kept", "in the instance's memory");
      assertThat(ask(component, key)).isEqualTo(expected);
      // Not discarded: the single instance still holds the data saved before.
      assertThat(ask(component, "kept")).isEqualTo("in the instance's memory");
      assertThat(component.liveInstances()).isEqualTo(1);
    }
  }

  @Test
  void fourGuestsAskingForTwoGigabytesAtOnceGetErrnosNotAnOutOfMemoryError() throws Exception {
    ComponentLimits limits = ComponentLimits.builder().poolSize(4).build();
    ExecutorService threads = Executors.newFixedThreadPool(4);
    try (WasmComponent component =
        host.load(
            Fixtures.spec(Fixtures.HOSTILE_WASI)
                .instanceModel(InstanceModel.POOLED)
                .limits(limits)
                .build())) {
      List<Future<List<String>>> answers = new ArrayList<>();
      for (int t = 0; t < 4; t++) {
        answers.add(
            threads.submit(
                () -> {
                  List<String> seen = new ArrayList<>();
                  for (int i = 0; i < 25; i++) {
                    seen.add(ask(component, "read:0:0x7FFFFFF0"));
                    seen.add(ask(component, "write:1:0x7FFFFFF0"));
                  }
                  return seen;
                }));
      }
      for (Future<List<String>> answer : answers) {
        assertThat(answer.get(60, TimeUnit.SECONDS)).containsOnly("errno=" + EFAULT + " n=0");
      }
      assertThat(ask(component, "read:0:16")).isEqualTo("errno=0 n=0");
    } finally {
      threads.shutdownNow();
    }
  }

  @Test
  void everyFunctionChicoryImplementsIsReplacedByAGuardedOne() {
    try (com.dylibso.chicory.wasi.WasiPreview1 wasi =
        com.dylibso.chicory.wasi.WasiPreview1.builder().build()) {
      List<String> chicory = new ArrayList<>();
      for (var function : wasi.toHostFunctions()) {
        chicory.add(function.name());
      }
      List<String> guarded = new ArrayList<>();
      List<com.dylibso.chicory.runtime.HostFunction> functions =
          new GuardedWasi(wasi, null, null, List.of(), java.util.Map.of()).functions();
      for (var function : functions) {
        guarded.add(function.name());
      }
      assertThat(guarded).containsExactlyElementsOf(chicory);
    }
  }
}
