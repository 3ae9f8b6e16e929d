package dev.pillion.server;

import dev.pillion.abi.PillionException;

/** Carries a {@link DaprApiError} out of request handling to the protocol layer that renders it. */
public final class DaprApiException extends PillionException {
  private static final long serialVersionUID = 1L;

  private final transient DaprApiError error;

  /**
   * Creates the exception.
   *
   * @param error the error to report
   */
  public DaprApiException(DaprApiError error) {
    super(error.message());
    this.error = error;
  }

  /**
   * The error to report.
   *
   * @return the error
   */
  public DaprApiError error() {
    return error;
  }
}
