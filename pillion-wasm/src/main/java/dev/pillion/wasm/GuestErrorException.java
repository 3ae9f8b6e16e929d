package dev.pillion.wasm;

import dev.pillion.abi.GuestError;
import java.nio.charset.StandardCharsets;

/** The component reported an error (ABI version 2). The instance stays in service. */
public class GuestErrorException extends ComponentCallException {
  private static final long serialVersionUID = 1L;

  private final transient GuestError error;
  private final byte[] bytes;

  /**
   * Creates the exception.
   *
   * @param component the component's name
   * @param method the method called
   * @param error the error the guest returned
   */
  public GuestErrorException(String component, String method, GuestError error) {
    this(component, method, error, error.text().getBytes(StandardCharsets.UTF_8));
  }

  /**
   * Creates the exception with the error block as the guest returned it.
   *
   * @param component the component's name
   * @param method the method called
   * @param error the error, read as text
   * @param bytes the error block's bytes (a service whose errors are not text, such as a Wasm app's
   *     {@code google.rpc.Status}, decodes them)
   */
  public GuestErrorException(String component, String method, GuestError error, byte[] bytes) {
    super(component, method, error.code().map(c -> c + ": ").orElse("") + error.text(), null);
    this.error = error;
    this.bytes = bytes.clone();
  }

  /**
   * The error block's bytes, as the guest returned them.
   *
   * @return a copy of the bytes
   */
  public byte[] bytes() {
    return bytes.clone();
  }

  /**
   * The error as the guest reported it.
   *
   * @return the parsed error
   */
  public GuestError error() {
    return error;
  }
}
