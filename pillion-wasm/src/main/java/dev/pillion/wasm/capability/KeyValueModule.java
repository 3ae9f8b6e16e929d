package dev.pillion.wasm.capability;

import com.dylibso.chicory.runtime.HostFunction;
import com.dylibso.chicory.runtime.Instance;
import com.dylibso.chicory.runtime.Memory;
import com.dylibso.chicory.wasm.types.FunctionType;
import com.dylibso.chicory.wasm.types.ValType;
import com.google.protobuf.CodedInputStream;
import com.google.protobuf.InvalidProtocolBufferException;
import dev.pillion.abi.keyvalue.ScanRequest;
import dev.pillion.abi.keyvalue.WriteBatch;
import dev.pillion.wasm.GuestMemory;
import dev.pillion.wasm.HostCallException;
import dev.pillion.wasm.HostModule;
import dev.pillion.wasm.HostModuleContext;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;
import java.util.Objects;

/**
 * The {@code keyvalue} capability: a component's items kept by the host in a {@link KeyValueStore},
 * imported from module {@value #IMPORT_MODULE} (docs/abi.md, "Host capabilities"):
 *
 * <ul>
 *   <li>{@code get(key_ptr, key_len, out_ptr, out_cap) -> i64}: -1 when the key is missing;
 *       otherwise the item's length {@code 16 + value length}, written to {@code out} as version
 *       (u64, little-endian), expiry (i64 Unix ms, 0 = never) and value, only if it fits in {@code
 *       out_cap} bytes (call again with a larger buffer otherwise).
 *   <li>{@code write(batch_ptr, batch_len, out_ptr, out_cap) -> i64}: applies a {@code WriteBatch};
 *       0 when applied, {@code (1 << 32) | index} when the condition of operation {@code index}
 *       failed, {@code (2 << 32) | length} when a limit refused it, with the UTF-8 reason in {@code
 *       out} (cut to {@code out_cap}). Nothing is written unless the result is 0.
 *   <li>{@code scan(request_ptr, request_len, out_ptr, out_cap) -> i64}: a {@code ScanResponse}'s
 *       length, written to {@code out} only if it fits (ordered stores only).
 *   <li>{@code sequence() -> i64}: the next value of the store's counter.
 * </ul>
 *
 * <p>The module object holds the store: every instance of the component it is granted to shares it,
 * and it outlives them all.
 */
public final class KeyValueModule implements HostModule {
  /** The capability's name. */
  public static final String CAPABILITY = "keyvalue";

  /** The import module. */
  public static final String IMPORT_MODULE = "pillion_keyvalue_v1";

  /** A batch condition failed; the low 32 bits are the operation's index. */
  public static final long CONDITION_FAILED = 1;

  /** A limit refused the batch; the low 32 bits are the length of the reason in {@code out}. */
  public static final long REFUSED = 2;

  private static final FunctionType FOUR_TO_LONG =
      FunctionType.of(
          List.of(ValType.I32, ValType.I32, ValType.I32, ValType.I32), List.of(ValType.I64));
  private static final FunctionType TO_LONG = FunctionType.of(List.of(), List.of(ValType.I64));
  private static final Map<String, FunctionType> FUNCTIONS =
      Map.of("get", FOUR_TO_LONG, "write", FOUR_TO_LONG, "scan", FOUR_TO_LONG, "sequence", TO_LONG);
  private static final int HEADER_BYTES = 16;

  private final KeyValueStore store;

  private KeyValueModule(KeyValueStore store) {
    this.store = store;
  }

  /**
   * The capability over a store.
   *
   * @param store the items; grant the module to one component only
   * @return the module
   */
  public static KeyValueModule create(KeyValueStore store) {
    return new KeyValueModule(Objects.requireNonNull(store, "store"));
  }

  /**
   * The store behind the capability.
   *
   * @return the store
   */
  public KeyValueStore store() {
    return store;
  }

  @Override
  public String capability() {
    return CAPABILITY;
  }

  @Override
  public String importModule() {
    return IMPORT_MODULE;
  }

  @Override
  public Map<String, FunctionType> functions() {
    return FUNCTIONS;
  }

  /** The items live in this JVM's memory: reads and writes take microseconds. */
  @Override
  public boolean isBlocking() {
    return false;
  }

  @Override
  public Binding bind(HostModuleContext context) {
    List<HostFunction> functions =
        List.of(
            new HostFunction(
                IMPORT_MODULE,
                "get",
                FOUR_TO_LONG,
                (Instance instance, long... args) -> new long[] {get(instance.memory(), args)}),
            new HostFunction(
                IMPORT_MODULE,
                "write",
                FOUR_TO_LONG,
                (Instance instance, long... args) -> new long[] {write(instance.memory(), args)}),
            new HostFunction(
                IMPORT_MODULE,
                "scan",
                FOUR_TO_LONG,
                (Instance instance, long... args) -> new long[] {scan(instance.memory(), args)}),
            new HostFunction(
                IMPORT_MODULE,
                "sequence",
                TO_LONG,
                (Instance instance, long... args) -> new long[] {store.nextSequence()}));
    return () -> functions;
  }

  private long get(Memory memory, long[] args) {
    String function = IMPORT_MODULE + ".get";
    byte[] key = GuestMemory.read(memory, function, "key", args[0], args[1], store.maxKeyBytes());
    KeyValueStore.Item item = store.read(key);
    if (item == null) {
      return -1;
    }
    long length = HEADER_BYTES + (long) item.value.length;
    if (length <= (args[3] & 0xFFFF_FFFFL)) {
      GuestMemory.check(memory, function, "output buffer", args[2], length);
      int out = (int) args[2];
      memory.writeLong(out, item.version);
      memory.writeLong(out + 8, item.expiresAt);
      memory.write(out + HEADER_BYTES, item.value, 0, item.value.length);
    }
    return length;
  }

  private long write(Memory memory, long[] args) {
    String function = IMPORT_MODULE + ".write";
    byte[] bytes = GuestMemory.read(memory, function, "batch", args[0], args[1]);
    WriteBatch batch;
    try {
      // The bytes are this call's own copy: keys and values may alias them instead of being copied
      // again (the store copies each into the item it keeps).
      CodedInputStream input = CodedInputStream.newInstance(bytes);
      input.enableAliasing(true);
      batch = WriteBatch.parseFrom(input);
    } catch (IOException e) {
      throw new HostCallException(function, "malformed WriteBatch: " + e.getMessage());
    }
    KeyValueStore.WriteResult result = store.write(batch);
    if (result.ok()) {
      return 0;
    }
    if (result.failedOperation() >= 0) {
      return (CONDITION_FAILED << 32) | result.failedOperation();
    }
    byte[] reason = result.refusal().getBytes(StandardCharsets.UTF_8);
    int length = (int) Math.min(reason.length, args[3] & 0xFFFF_FFFFL);
    GuestMemory.write(memory, function, "output buffer", args[2], reason, 0, length);
    return (REFUSED << 32) | length;
  }

  private long scan(Memory memory, long[] args) {
    String function = IMPORT_MODULE + ".scan";
    if (!store.ordered()) {
      throw new HostCallException(
          function, "the store of component '" + store.name() + "' is not ordered");
    }
    byte[] bytes = GuestMemory.read(memory, function, "request", args[0], args[1]);
    ScanRequest request;
    try {
      request = ScanRequest.parseFrom(bytes);
    } catch (InvalidProtocolBufferException e) {
      throw new HostCallException(function, "malformed ScanRequest: " + e.getMessage());
    }
    byte[] response = store.scan(request).toByteArray();
    if (response.length <= (args[3] & 0xFFFF_FFFFL)) {
      GuestMemory.write(memory, function, "output buffer", args[2], response, 0, response.length);
    }
    return response.length;
  }
}
