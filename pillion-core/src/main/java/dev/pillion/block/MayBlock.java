package dev.pillion.block;

/**
 * A component that says whether its calls may wait on the network or other blocking I/O. Every
 * building block's component SPI extends it, so the faces can tell, for each loaded component,
 * whether a call may run on a thread that serves other connections (a Netty event loop, gRPC's
 * transport thread) or must go to a bounded executor. A Wasm component is blocking when a host
 * capability granted to it is ({@code HostModule.isBlocking()}); a component written in Java
 * overrides {@link #isBlocking()} when it does I/O of its own. The loader records the answer once,
 * when the component is loaded ({@link LoadedBlocks.Entry#blocking()}).
 */
public interface MayBlock {
  /**
   * Whether a call may wait on I/O. Not blocking unless overridden: the components Pillion ships
   * keep their data in memory.
   *
   * @return true when calls must not run on a thread shared by other connections
   */
  default boolean isBlocking() {
    return false;
  }
}
