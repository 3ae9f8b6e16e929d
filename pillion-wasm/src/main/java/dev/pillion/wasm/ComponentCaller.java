package dev.pillion.wasm;

/**
 * Calls methods of a component (or of one of its instances) with encoded request and response
 * messages.
 */
public interface ComponentCaller {
  /**
   * Calls a method.
   *
   * @param method the method in snake_case, e.g. {@code get} for export {@code store_get}
   * @param request the encoded request (may be empty)
   * @return the encoded response (empty for an empty response)
   * @throws ComponentCallException when the call fails; see its subclasses
   */
  byte[] call(String method, byte[] request);
}
