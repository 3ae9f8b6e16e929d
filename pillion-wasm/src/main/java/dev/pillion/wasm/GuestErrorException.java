package dev.pillion.wasm;

import dev.pillion.abi.GuestError;

/** The component reported an error (ABI version 2). The instance stays in service. */
public class GuestErrorException extends ComponentCallException {
  private static final long serialVersionUID = 1L;

  private final transient GuestError error;

  /**
   * Creates the exception.
   *
   * @param component the component's name
   * @param method the method called
   * @param error the error the guest returned
   */
  public GuestErrorException(String component, String method, GuestError error) {
    super(component, method, error.code().map(c -> c + ": ").orElse("") + error.text(), null);
    this.error = error;
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
