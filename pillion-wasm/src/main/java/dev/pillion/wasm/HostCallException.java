package dev.pillion.wasm;

import dev.pillion.abi.PillionException;

/**
 * A guest called a host function wrongly (a pointer outside its memory, a malformed message, a
 * length past a limit). Thrown by host functions; the call fails as a trap and its instance is
 * discarded, so a misbehaving guest cannot corrupt host state or make the host allocate without
 * bound.
 */
public class HostCallException extends PillionException {
  private static final long serialVersionUID = 1L;

  /**
   * Creates the exception.
   *
   * @param function the host function, {@code module.name}
   * @param problem what the guest did wrong
   */
  public HostCallException(String function, String problem) {
    super(function + ": " + problem);
  }
}
