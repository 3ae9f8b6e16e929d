package dev.pillion.invoke.spi;

import dev.pillion.invoke.InvocationRequest;
import dev.pillion.invoke.InvocationResponse;
import dev.pillion.invoke.resolution.AppAddress;
import java.util.concurrent.CompletionStage;

/**
 * How a runtime reaches the runtime in front of another app, at an address name resolution gave
 * (the server's implementation: Dapr's internal {@code ServiceInvocation/CallLocal}).
 */
public interface RemoteInvoker extends AutoCloseable {
  /**
   * Calls the target app through its runtime.
   *
   * @param address the target runtime's internal endpoint
   * @param appId the target app id
   * @param namespace the target namespace
   * @param request the invocation
   * @return the app's answer; completes exceptionally with {@link RefusedException} when the
   *     address refuses connections (the caller then tries another address), with {@link
   *     dev.pillion.invoke.AppUnreachableException} for any other transport failure
   */
  CompletionStage<InvocationResponse> invoke(
      AppAddress address, String appId, String namespace, InvocationRequest request);

  /** Closes the connections kept for reuse. */
  @Override
  void close();

  /** The address refused the connection: nothing was sent, so another address may be tried. */
  final class RefusedException extends dev.pillion.invoke.AppUnreachableException {
    private static final long serialVersionUID = 1L;

    /**
     * Creates the exception.
     *
     * @param appId the target app id
     * @param message what was refused
     * @param cause the transport's failure
     */
    public RefusedException(String appId, String message, Throwable cause) {
      super(appId, message, cause);
    }
  }
}
