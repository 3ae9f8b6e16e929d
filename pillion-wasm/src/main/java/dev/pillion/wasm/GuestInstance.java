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
import com.dylibso.chicory.wasi.WasiOptions;
import com.dylibso.chicory.wasi.WasiPreview1;
import com.dylibso.chicory.wasm.ChicoryException;
import com.dylibso.chicory.wasm.types.FunctionType;
import com.dylibso.chicory.wasm.types.ValType;
import dev.pillion.abi.AbiVersion;
import dev.pillion.abi.GuestError;
import dev.pillion.abi.PackedResult;
import dev.pillion.abi.ServiceContract;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.security.SecureRandom;
import java.time.Clock;
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
  private static final byte[] EMPTY = new byte[0];
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
  private final WasiPreview1 wasi;
  private final Memory memory;
  private final ExportFunction malloc;
  private final ExportFunction free;
  private final Map<String, ExportFunction> methods;
  private final AbiVersion version;
  private final Watchdog watchdog;
  private final Watchdog.CallSlot slot;
  private int requestBuffer;
  private int requestBufferCapacity;
  private boolean broken;

  private GuestInstance(
      ComponentSpec spec,
      Instance instance,
      WasiPreview1 wasi,
      Map<String, ExportFunction> methods,
      AbiVersion version,
      Watchdog watchdog) {
    this.component = spec.name();
    this.limits = spec.limits();
    this.timeoutNanos = spec.limits().callTimeout().toNanos();
    this.instance = instance;
    this.wasi = wasi;
    this.memory = instance.memory();
    this.malloc = instance.export("malloc");
    this.free = instance.export("free");
    this.methods = methods;
    this.version = version;
    this.watchdog = watchdog;
    this.slot = watchdog.newSlot();
  }

  /**
   * Instantiates the module, runs its start function, checks exports and ABI version, then runs the
   * spec's initializer. Any failure is a {@link ComponentLoadException}.
   */
  static GuestInstance create(ComponentSpec spec, PreparedModule prepared, Watchdog watchdog) {
    String name = spec.name();
    System.Logger logger = System.getLogger("dev.pillion.component." + name);
    WasiOptions.Builder options =
        WasiOptions.builder()
            .withStdout(new ComponentOutput(logger, System.Logger.Level.INFO, "[stdout] "))
            .withStderr(new ComponentOutput(logger, System.Logger.Level.WARNING, "[stderr] "))
            .withStdin(InputStream.nullInputStream())
            .withClock(Clock.systemUTC())
            .withRandom(new SecureRandom());
    spec.preopenedDirectories().forEach(options::withDirectory);
    WasiPreview1 wasi = WasiPreview1.builder().withOptions(options.build()).build();
    List<ImportFunction> functions = new ArrayList<>(List.of(wasi.toHostFunctions()));
    functions.addAll(HostImports.envFunctions(logger));
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
      runStart(name, instance);
    } catch (ComponentLoadException e) {
      wasi.close();
      throw e;
    } catch (ChicoryException | StackOverflowError e) {
      wasi.close();
      throw new ComponentLoadException(name, "cannot be instantiated: " + e.getMessage(), e);
    }
    try {
      ServiceContract contract = spec.contract();
      requireFunction(name, instance, "malloc", MALLOC_TYPE);
      requireFunction(name, instance, "free", FREE_TYPE);
      requireFunction(name, instance, contract.versionExport(), VERSION_TYPE);
      AbiVersion version = apiVersion(name, instance, contract);
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
          new GuestInstance(spec, instance, wasi, Map.copyOf(methods), version, watchdog);
      try {
        spec.initializer().initialize(guest);
      } catch (RuntimeException e) {
        guest.close();
        throw e;
      }
      return guest;
    } catch (RuntimeException e) {
      wasi.close();
      throw e;
    }
  }

  private static void runStart(String name, Instance instance) {
    String entry =
        hasExport(instance, "_initialize")
            ? "_initialize"
            : hasExport(instance, Instance.START_FUNCTION_NAME)
                ? Instance.START_FUNCTION_NAME
                : null;
    if (entry == null) {
      return;
    }
    try {
      instance.export(entry).apply();
    } catch (ExecutionCompletedException e) {
      // proc_exit(0) from a WASI command's _start: a normal exit, the exports stay usable.
    } catch (WasiExitException e) {
      throw new ComponentLoadException(
          name,
          entry + " exited with code " + e.exitCode() + " (a WASI command must exit with 0)",
          e);
    } catch (ChicoryException | StackOverflowError e) {
      throw new ComponentLoadException(name, entry + " failed: " + e.getMessage(), e);
    }
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

  /** Whether a trap or timeout left this instance unusable. */
  boolean broken() {
    return broken;
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
    long packed;
    slot.begin(timeoutNanos);
    boolean timedOut;
    try {
      int pointer = request.length == 0 ? 0 : writeRequest(request);
      packed = function.apply(pointer, request.length)[0];
    } catch (ChicoryInterruptedException e) {
      timedOut = slot.end();
      broken = true;
      if (timedOut) {
        throw new ComponentTimeoutException(
            component,
            method,
            "call exceeded the timeout of "
                + limits.callTimeout().toMillis()
                + " ms; the instance was discarded and will be replaced");
      }
      Thread.currentThread().interrupt();
      throw new ComponentCallException(component, method, "the calling thread was interrupted", e);
    } catch (WasiExitException e) {
      slot.end();
      broken = true;
      throw new ComponentTrapException(
          component, method, "guest exited with code " + e.exitCode(), e);
    } catch (ChicoryException
        | StackOverflowError
        | ArithmeticException
        | IndexOutOfBoundsException e) {
      // The guest's state is unknown after a trap: the instance is discarded, not reused.
      timedOut = slot.end();
      broken = true;
      if (timedOut) {
        throw new ComponentTimeoutException(
            component,
            method,
            "call exceeded the timeout of " + limits.callTimeout().toMillis() + " ms");
      }
      throw new ComponentTrapException(
          component,
          method,
          "guest trapped: " + e + "; the instance was discarded and will be replaced",
          e);
    }
    if (slot.end()) {
      // The watchdog fired just as the call returned: the result is complete, so keep it.
      Thread.interrupted();
    }
    return readResponse(method, packed);
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

  private byte[] readResponse(String method, long packed) {
    if (packed == 0) {
      return EMPTY;
    }
    int pointer = PackedResult.pointer(packed);
    long length = PackedResult.length(packed, version);
    boolean error = PackedResult.isError(packed, version);
    long end = Integer.toUnsignedLong(pointer) + length;
    long memoryBytes = (long) memory.pages() * Memory.PAGE_SIZE;
    if (end > memoryBytes) {
      broken = true;
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
      throw new MessageTooLargeException(
          component,
          method,
          "response of "
              + length
              + " bytes exceeds the limit of "
              + limits.maxMessageBytes()
              + " bytes");
    }
    byte[] bytes = memory.readBytes(pointer, (int) length);
    releaseResponse(pointer);
    if (error) {
      throw new GuestErrorException(
          component, method, GuestError.parse(new String(bytes, StandardCharsets.UTF_8)));
    }
    return bytes;
  }

  private void releaseResponse(int pointer) {
    if (version.hostFreesResponses()) {
      free.apply(pointer);
    }
  }

  void close() {
    watchdog.release(slot);
    wasi.close();
  }
}
