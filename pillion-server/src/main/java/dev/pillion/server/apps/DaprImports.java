package dev.pillion.server.apps;

import com.dylibso.chicory.runtime.ExportFunction;
import com.dylibso.chicory.runtime.HostFunction;
import com.dylibso.chicory.runtime.Instance;
import com.dylibso.chicory.wasm.types.FunctionType;
import com.dylibso.chicory.wasm.types.ValType;
import com.google.rpc.Code;
import dev.pillion.wasm.GuestMemory;
import dev.pillion.wasm.HostCallException;
import dev.pillion.wasm.HostModule;
import dev.pillion.wasm.HostModuleContext;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;

/**
 * The Dapr imports of a Wasm app, module {@value #IMPORT_MODULE} (docs/abi.md, "Dapr imports"):
 * each takes a request of a method of Dapr's {@code Dapr} gRPC service and answers its response, or
 * the {@code google.rpc.Status} of its error, in a block the host obtains from the guest's own
 * {@code malloc}. The calls go to the gRPC API of the app's own view of the runtime, so an app gets
 * exactly the gRPC API's semantics and errors, within its scope.
 */
final class DaprImports implements HostModule {
  /** The capability's name. */
  static final String CAPABILITY = "dapr";

  /** The import module. */
  static final String IMPORT_MODULE = "pillion_dapr_v1";

  private static final long ERROR_FLAG = 1L << 31;

  /** Each import and the gRPC method it calls. */
  static final Map<String, String> METHODS = methods();

  private static final FunctionType SIGNATURE =
      FunctionType.of(List.of(ValType.I32, ValType.I32), List.of(ValType.I64));

  private final DirectGrpcCalls calls;
  private final Duration timeout;

  DaprImports(DirectGrpcCalls calls, Duration timeout) {
    this.calls = Objects.requireNonNull(calls, "calls");
    this.timeout = Objects.requireNonNull(timeout, "timeout");
  }

  private static Map<String, String> methods() {
    Map<String, String> methods = new LinkedHashMap<>();
    methods.put("get_state", "GetState");
    methods.put("get_bulk_state", "GetBulkState");
    methods.put("save_state", "SaveState");
    methods.put("delete_state", "DeleteState");
    methods.put("delete_bulk_state", "DeleteBulkState");
    methods.put("execute_state_transaction", "ExecuteStateTransaction");
    methods.put("publish_event", "PublishEvent");
    methods.put("bulk_publish_event", "BulkPublishEvent");
    methods.put("invoke_service", "InvokeService");
    methods.put("get_secret", "GetSecret");
    methods.put("get_bulk_secret", "GetBulkSecret");
    methods.put("get_metadata", "GetMetadata");
    return Map.copyOf(methods);
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
    Map<String, FunctionType> functions = new LinkedHashMap<>();
    METHODS.keySet().forEach(name -> functions.put(name, SIGNATURE));
    return functions;
  }

  /** An import may invoke another app over the network or a component that waits on I/O. */
  @Override
  public boolean isBlocking() {
    return true;
  }

  @Override
  public Binding bind(HostModuleContext context) {
    int maxMessage = context.spec().limits().maxMessageBytes();
    List<HostFunction> functions = new ArrayList<>();
    METHODS.forEach(
        (name, method) ->
            functions.add(
                new HostFunction(
                    IMPORT_MODULE,
                    name,
                    SIGNATURE,
                    (Instance instance, long... args) ->
                        new long[] {call(instance, name, method, args, maxMessage)})));
    List<HostFunction> bound = List.copyOf(functions);
    return () -> bound;
  }

  private long call(Instance instance, String name, String method, long[] args, int maxMessage) {
    String function = IMPORT_MODULE + "." + name;
    byte[] request =
        GuestMemory.read(instance.memory(), function, "request", args[0], args[1], maxMessage);
    DirectGrpcCalls.Answer answer;
    try {
      answer = calls.call(method, request, timeout);
    } catch (InterruptedException e) {
      // The watchdog interrupts a call past its timeout: keep the flag, so the guest stops.
      Thread.currentThread().interrupt();
      answer = DirectGrpcCalls.Answer.failure(Code.CANCELLED, name + " was interrupted");
    }
    if (answer.bytes().length > maxMessage) {
      answer =
          DirectGrpcCalls.Answer.failure(
              Code.RESOURCE_EXHAUSTED,
              name
                  + " answered "
                  + answer.bytes().length
                  + " bytes, more than the app's message limit of "
                  + maxMessage);
    }
    return block(instance, function, answer);
  }

  /** Copies an answer into a block from the guest's malloc, packed with the error flag. */
  private static long block(Instance instance, String function, DirectGrpcCalls.Answer answer) {
    byte[] bytes = answer.bytes();
    if (bytes.length == 0 && !answer.error()) {
      return 0;
    }
    ExportFunction malloc = instance.export("malloc");
    long pointer = malloc.apply(Math.max(bytes.length, 1))[0] & 0xFFFF_FFFFL;
    if (pointer == 0) {
      throw new HostCallException(
          function, "the app's malloc returned 0 for a " + bytes.length + "-byte answer");
    }
    GuestMemory.write(instance.memory(), function, "answer", pointer, bytes, 0, bytes.length);
    return (pointer << 32) | bytes.length | (answer.error() ? ERROR_FLAG : 0);
  }
}
