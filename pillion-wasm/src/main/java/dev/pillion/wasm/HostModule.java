package dev.pillion.wasm;

import com.dylibso.chicory.runtime.HostFunction;
import com.dylibso.chicory.wasm.types.FunctionType;
import java.util.List;
import java.util.Map;

/**
 * A host capability a component can be granted: one Wasm import module with its functions. The host
 * refuses, before compiling anything, a module that imports a function of a capability its spec
 * does not grant (see {@link ComponentSpec.Builder#grant(HostModule)}).
 *
 * <p>A capability is bound once per guest instance ({@link #bind(HostModuleContext)}), so it can
 * keep per-instance state (a WASI context, a connection lease); state shared by all instances of a
 * component, such as the items of a key-value store, lives in the module object itself.
 *
 * <p>Host functions run on the calling thread, inside the guest call and under its timeout. They
 * must check every guest-supplied pointer and length against the guest's memory before using or
 * allocating anything ({@link GuestMemory}), and report guest misuse with {@link
 * HostCallException}: the call then fails and the instance is discarded.
 */
public interface HostModule {
  /**
   * The capability's name, as grants and error messages spell it (e.g. {@code keyvalue}).
   *
   * @return the name
   */
  String capability();

  /**
   * The Wasm import module the functions belong to (e.g. {@code pillion_keyvalue_v1}).
   *
   * @return the import module name
   */
  String importModule();

  /**
   * The functions the guest may import, by name, with their types.
   *
   * @return the function types by import name
   */
  Map<String, FunctionType> functions();

  /**
   * Creates the functions for one new guest instance.
   *
   * @param context the component and instance the functions serve
   * @return the bound functions, one for each name in {@link #functions()}
   */
  Binding bind(HostModuleContext context);

  /**
   * Whether the functions wait on the network or other blocking I/O (a Redis client, say). Every
   * capability must say: a component granted a blocking capability is itself blocking ({@link
   * ComponentSpec#isBlocking()}), and the server calls it on a bounded executor instead of the
   * thread that serves other connections. In-memory capabilities ({@code log}, {@code keyvalue})
   * answer in microseconds and are not blocking.
   *
   * @return true when a call of its functions may wait on I/O
   */
  boolean isBlocking();

  /**
   * Releases what the module holds for all instances (a connection to a server) when the component
   * it is granted to closes, after its last instance is released. Called once per component; a
   * module granted to no component, or whose component failed to load, is closed by whoever made
   * it.
   */
  default void close() {}

  /** The functions of a capability bound to one guest instance. */
  interface Binding extends AutoCloseable {
    /**
     * The host functions, each in {@link #importModule()}.
     *
     * @return the functions
     */
    List<HostFunction> functions();

    /** Releases per-instance resources when the instance is discarded. */
    @Override
    default void close() {}
  }
}
