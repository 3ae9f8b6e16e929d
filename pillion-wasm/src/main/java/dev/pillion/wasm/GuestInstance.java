package dev.pillion.wasm;

import com.dylibso.chicory.runtime.ByteArrayMemory;
import com.dylibso.chicory.runtime.ChicoryInterruptedException;
import com.dylibso.chicory.runtime.ExecutionCompletedException;
import com.dylibso.chicory.runtime.ExportFunction;
import com.dylibso.chicory.runtime.ImportFunction;
import com.dylibso.chicory.runtime.ImportValues;
import com.dylibso.chicory.runtime.Instance;
import com.dylibso.chicory.runtime.Memory;
import com.dylibso.chicory.wasi.WasiExitException;
import com.dylibso.chicory.wasm.ChicoryException;
import com.dylibso.chicory.wasm.types.FunctionType;
import com.dylibso.chicory.wasm.types.ValType;
import dev.pillion.abi.AbiVersion;
import dev.pillion.abi.GuestError;
import dev.pillion.abi.PackedResult;
import dev.pillion.abi.ServiceContract;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * One instance of a component: its linear memory, its WASI context and its exports. Not
 * thread-safe: the pool hands it to one caller at a time.
 *
 * <p>The host keeps one request buffer per instance (from the guest's {@code malloc}) and reuses it
 * while requests fit, because the ABI forbids the guest to keep pointers into a request after the
 * call: this saves a {@code malloc} and a {@code free} per call.
 */
final class GuestInstance implements ComponentCaller {
  private static final byte[] EMPTY_BYTES = new byte[0];
  private static final FunctionType METHOD_TYPE =
      FunctionType.of(List.of(ValType.I32, ValType.I32), List.of(ValType.I64));
  private static final FunctionType MALLOC_TYPE =
      FunctionType.of(List.of(ValType.I32), List.of(ValType.I32));
  private static final FunctionType FREE_TYPE = FunctionType.of(List.of(ValType.I32), List.of());
  private static final FunctionType VERSION_TYPE = FunctionType.of(List.of(), List.of(ValType.I64));
  private static final int MIN_REQUEST_BUFFER = 1024;

  private final String component;
  private final ComponentLimits limits;
  private final long timeoutNanos;
  private final Instance instance;
  private final List<HostModule.Binding> bindings;
  private final Memory memory;
  private final ExportFunction malloc;
  private final ExportFunction free;
  private final Map<String, ExportFunction> methods;
  private final AbiVersion version;
  private final Watchdog watchdog;
  private final Watchdog.CallSlot slot;
  private int requestBuffer;
  private int requestBufferCapacity;
  private volatile String brokenReason;

  /** The pool slot the instance lives in (written by the pool before the instance is shared). */
  int poolSlot;

  /** When its last call ended (System.nanoTime), for the pool's idle eviction. */
  volatile long lastUsedNanos = System.nanoTime();

  private GuestInstance(
      ComponentSpec spec,
      Instance instance,
      List<HostModule.Binding> bindings,
      Map<String, ExportFunction> methods,
      AbiVersion version,
      Watchdog watchdog,
      Watchdog.CallSlot slot) {
    this.component = spec.name();
    this.limits = spec.limits();
    this.timeoutNanos = spec.limits().callTimeout().toNanos();
    this.instance = instance;
    this.bindings = bindings;
    this.memory = instance.memory();
    this.malloc = instance.export("malloc");
    this.free = instance.export("free");
    this.methods = methods;
    this.version = version;
    this.watchdog = watchdog;
    this.slot = slot;
  }

  /**
   * Instantiates the module with the WASI sandbox and the granted capabilities, runs its start
   * function under the call timeout, checks exports and ABI version, then runs the spec's
   * initializer. Any failure is a {@link ComponentLoadException}.
   */
  static GuestInstance create(
      ComponentSpec spec, PreparedModule prepared, Watchdog watchdog, OutputBudget output) {
    String name = spec.name();
    System.Logger logger = System.getLogger("dev.pillion.component." + name);
    HostModuleContext context = new HostModuleContext(spec, logger, output);
    List<HostModule.Binding> bindings = new ArrayList<>();
    Watchdog.CallSlot slot = watchdog.newSlot();
    try {
      List<ImportFunction> functions = new ArrayList<>();
      bindings.add(WasiSandbox.INSTANCE.bind(context));
      for (HostModule grant : spec.grants()) {
        bindings.add(grant.bind(context));
      }
      bindings.forEach(binding -> functions.addAll(binding.functions()));
      Instance instance;
      try {
        instance =
            Instance.builder(prepared.module())
                .withImportValues(ImportValues.builder().withFunctions(functions).build())
                .withMachineFactory(prepared.machineFactory())
                .withMemoryLimits(prepared.memoryLimits())
                .withMemoryFactory(ByteArrayMemory::new)
                .withStart(false)
                .build();
      } catch (ChicoryException | StackOverflowError e) {
        throw new ComponentLoadException(name, "cannot be instantiated: " + e.getMessage(), e);
      }
      runStart(name, instance, slot, spec.limits());
      ServiceContract contract = spec.contract();
      requireFunction(name, instance, "malloc", MALLOC_TYPE);
      requireFunction(name, instance, "free", FREE_TYPE);
      AbiVersion version;
      if (contract.versionExportOptional() && !hasExport(instance, contract.versionExport())) {
        version = contract.supportedVersions().iterator().next();
      } else {
        requireFunction(name, instance, contract.versionExport(), VERSION_TYPE);
        version = apiVersion(name, instance, contract);
      }
      Map<String, ExportFunction> methods = new HashMap<>();
      for (String method : contract.requiredMethods()) {
        requireFunction(name, instance, contract.exportName(method), METHOD_TYPE);
        methods.put(method, instance.export(contract.exportName(method)));
      }
      for (String method : contract.optionalMethods()) {
        String export = contract.exportName(method);
        if (hasExport(instance, export)) {
          requireFunction(name, instance, export, METHOD_TYPE);
          methods.put(method, instance.export(export));
        }
      }
      GuestInstance guest =
          new GuestInstance(
              spec, instance, List.copyOf(bindings), Map.copyOf(methods), version, watchdog, slot);
      try {
        spec.initializer().initialize(guest);
      } catch (RuntimeException e) {
        guest.close();
        throw e;
      }
      return guest;
    } catch (RuntimeException | Error e) {
      watchdog.release(slot);
      bindings.forEach(HostModule.Binding::close);
      throw e;
    }
  }

  private static void runStart(
      String name, Instance instance, Watchdog.CallSlot slot, ComponentLimits limits) {
    String entry =
        hasExport(instance, "_initialize")
            ? "_initialize"
            : hasExport(instance, Instance.START_FUNCTION_NAME)
                ? Instance.START_FUNCTION_NAME
                : null;
    if (entry == null) {
      return;
    }
    slot.begin(limits.callTimeout().toNanos());
    try {
      instance.export(entry).apply();
    } catch (ExecutionCompletedException e) {
      // proc_exit(0) from a WASI command's _start: a normal exit, the exports stay usable.
    } catch (WasiExitException e) {
      slot.end();
      throw new ComponentLoadException(
          name,
          entry + " exited with code " + e.exitCode() + " (a WASI command must exit with 0)",
          e);
    } catch (RuntimeException | StackOverflowError | OutOfMemoryError e) {
      boolean timedOut = slot.end();
      throw new ComponentLoadException(
          name,
          timedOut
              ? entry + " ran past the call timeout of " + limits.callTimeout().toMillis() + " ms"
              : entry + " failed: " + e,
          e);
    }
    slot.end();
  }

  private static boolean hasExport(Instance instance, String export) {
    var section = instance.module().exportSection();
    for (int i = 0; i < section.exportCount(); i++) {
      if (section.getExport(i).name().equals(export)) {
        return true;
      }
    }
    return false;
  }

  private static void requireFunction(
      String name, Instance instance, String export, FunctionType expected) {
    if (!hasExport(instance, export)) {
      throw new ComponentLoadException(
          name, "does not export '" + export + "', which its contract requires", null);
    }
    FunctionType actual;
    try {
      actual = instance.exportType(export);
    } catch (ChicoryException | ClassCastException e) {
      throw new ComponentLoadException(
          name, "exports '" + export + "' but it is not a function", e);
    }
    if (!actual.typesMatch(expected)) {
      throw new ComponentLoadException(
          name,
          "export '"
              + export
              + "' has signature "
              + signature(actual)
              + ", expected "
              + signature(expected),
          null);
    }
  }

  private static String signature(FunctionType type) {
    return type.params() + " -> " + type.returns();
  }

  private static AbiVersion apiVersion(String name, Instance instance, ServiceContract contract) {
    long reported;
    try {
      reported = instance.export(contract.versionExport()).apply()[0];
    } catch (ChicoryException e) {
      throw new ComponentLoadException(
          name, contract.versionExport() + " failed: " + e.getMessage(), e);
    }
    return AbiVersion.of(reported)
        .filter(contract.supportedVersions()::contains)
        .orElseThrow(
            () ->
                new ComponentLoadException(
                    name,
                    contract.versionExport()
                        + " reports ABI version "
                        + reported
                        + ", but the host supports "
                        + contract.supportedVersions().stream()
                            .map(AbiVersion::number)
                            .sorted()
                            .toList()
                        + " for "
                        + contract.service(),
                    null));
  }

  AbiVersion version() {
    return version;
  }

  boolean hasMethod(String method) {
    return methods.containsKey(method);
  }

  /** Whether a trap, timeout or host fault left this instance unusable. */
  boolean broken() {
    return brokenReason != null;
  }

  /** Why the instance is unusable, for the log line of its discard. */
  String brokenReason() {
    return brokenReason;
  }

  private void markBroken(String reason) {
    if (brokenReason == null) {
      brokenReason = reason;
    }
  }

  int memoryPages() {
    return memory.pages();
  }

  @Override
  public byte[] call(String method, byte[] request) {
    ExportFunction function = methods.get(method);
    if (function == null) {
      throw new ComponentCallException(
          component, method, "the component does not export this method", null);
    }
    if (request.length > limits.maxMessageBytes()) {
      throw new MessageTooLargeException(
          component,
          method,
          "request of "
              + request.length
              + " bytes exceeds the limit of "
              + limits.maxMessageBytes()
              + " bytes");
    }
    Response response;
    // Everything that runs guest code, the response's free included, runs under the deadline, and
    // whatever it throws ends the slot: an interrupt can never outlive its call.
    slot.begin(timeoutNanos);
    try {
      int pointer = request.length == 0 ? 0 : writeRequest(request);
      long packed = function.apply(pointer, request.length)[0];
      response = takeResponse(method, packed);
    } catch (Throwable t) {
      boolean timedOut = slot.end();
      throw fault(method, t, timedOut);
    }
    // The watchdog may fire just as the call returns: the result is complete, so keep it (end()
    // clears the interrupt it sent).
    slot.end();
    return response.unwrap(this, method);
  }

  private static HostCallException hostFault(Throwable t) {
    for (Throwable cause = t; cause != null; cause = cause.getCause()) {
      if (cause instanceof HostCallException host) {
        return host;
      }
    }
    return null;
  }

  /** Turns anything thrown inside a call into that call's error, discarding the instance. */
  private RuntimeException fault(String method, Throwable t, boolean timedOut) {
    if (timedOut) {
      markBroken("call to " + method + " timed out");
      return new ComponentTimeoutException(
          component,
          method,
          "call exceeded the timeout of "
              + limits.callTimeout().toMillis()
              + " ms; the instance was discarded and will be replaced",
          t);
    }
    if (t instanceof ChicoryInterruptedException) {
      markBroken("the calling thread was interrupted during " + method);
      // Not our interrupt: it belongs to the application, so it stays set.
      Thread.currentThread().interrupt();
      return new ComponentCallException(component, method, "the calling thread was interrupted", t);
    }
    if (t instanceof ComponentTrapException trap) {
      markBroken(trap.getMessage());
      return trap;
    }
    String problem;
    HostCallException hostFault = hostFault(t);
    if (hostFault != null) {
      problem = "guest misused a host function: " + hostFault.getMessage();
    } else if (t instanceof WasiExitException exit) {
      problem = "guest exited with code " + exit.exitCode();
    } else if (t instanceof ExecutionCompletedException) {
      problem = "guest exited (proc_exit) in the middle of a call";
    } else if (t instanceof OutOfMemoryError) {
      problem = "the host ran out of memory during the call (" + t.getMessage() + ")";
    } else if (t instanceof StackOverflowError) {
      problem = "guest exhausted the stack";
    } else {
      problem = "guest trapped: " + t;
    }
    markBroken(method + ": " + problem);
    return new ComponentTrapException(
        component, method, problem + "; the instance was discarded and will be replaced", t);
  }

  private int writeRequest(byte[] request) {
    if (request.length > requestBufferCapacity) {
      if (requestBuffer != 0) {
        free.apply(requestBuffer);
      }
      int capacity = Math.max(MIN_REQUEST_BUFFER, Integer.highestOneBit(request.length - 1) << 1);
      requestBuffer = (int) malloc.apply(capacity)[0];
      requestBufferCapacity = requestBuffer == 0 ? 0 : capacity;
      if (requestBuffer == 0) {
        throw new ComponentTrapException(
            component,
            "malloc",
            "malloc(" + capacity + ") returned 0: the guest is out of memory",
            null);
      }
    }
    memory.write(requestBuffer, request);
    return requestBuffer;
  }

  /**
   * Copies the response block out and frees it, inside the call's deadline. Errors of the guest's
   * own making (an error message, a response over the size limit) come back as values, so they end
   * the call without discarding the instance.
   */
  private Response takeResponse(String method, long packed) {
    if (packed == 0) {
      return Response.EMPTY;
    }
    int pointer = PackedResult.pointer(packed);
    long length = PackedResult.length(packed, version);
    boolean error = PackedResult.isError(packed, version);
    long end = Integer.toUnsignedLong(pointer) + length;
    long memoryBytes = (long) memory.pages() * Memory.PAGE_SIZE;
    if (end > memoryBytes) {
      throw new ComponentTrapException(
          component,
          method,
          "response block ["
              + Integer.toUnsignedString(pointer)
              + ", "
              + end
              + ") lies outside the guest's "
              + memoryBytes
              + " bytes of memory; the instance was discarded",
          null);
    }
    if (length > limits.maxMessageBytes()) {
      releaseResponse(pointer);
      return new Response(null, false, length);
    }
    byte[] bytes = memory.readBytes(pointer, (int) length);
    releaseResponse(pointer);
    return new Response(bytes, error, length);
  }

  private void releaseResponse(int pointer) {
    if (version.hostFreesResponses()) {
      free.apply(pointer);
    }
  }

  /** A response taken out of the guest: bytes, an error message, or a block over the limit. */
  private record Response(byte[] bytes, boolean error, long length) {
    static final Response EMPTY = new Response(EMPTY_BYTES, false, 0);

    byte[] unwrap(GuestInstance guest, String method) {
      if (bytes == null) {
        throw new MessageTooLargeException(
            guest.component,
            method,
            "response of "
                + length
                + " bytes exceeds the limit of "
                + guest.limits.maxMessageBytes()
                + " bytes");
      }
      if (error) {
        throw new GuestErrorException(
            guest.component,
            method,
            GuestError.parse(new String(bytes, StandardCharsets.UTF_8)),
            bytes);
      }
      return bytes;
    }
  }

  void close() {
    watchdog.release(slot);
    bindings.forEach(HostModule.Binding::close);
  }
}
