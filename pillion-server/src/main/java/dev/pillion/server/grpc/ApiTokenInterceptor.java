package dev.pillion.server.grpc;

import dev.pillion.server.DaprApiError;
import io.grpc.Metadata;
import io.grpc.ServerCall;
import io.grpc.ServerCallHandler;
import io.grpc.ServerInterceptor;
import io.grpc.Status;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;

/**
 * Requires the {@code dapr-api-token} metadata to equal the configured token, as daprd does with
 * DAPR_API_TOKEN.
 */
public final class ApiTokenInterceptor implements ServerInterceptor {
  /** The metadata key the Dapr SDKs send the token in. */
  public static final Metadata.Key<String> TOKEN =
      Metadata.Key.of("dapr-api-token", Metadata.ASCII_STRING_MARSHALLER);

  private final byte[] token;

  /**
   * Creates the interceptor.
   *
   * @param token the required token
   */
  public ApiTokenInterceptor(String token) {
    this.token = token.getBytes(StandardCharsets.UTF_8);
  }

  @Override
  public <Q, R> ServerCall.Listener<Q> interceptCall(
      ServerCall<Q, R> call, Metadata headers, ServerCallHandler<Q, R> next) {
    String given = headers.get(TOKEN);
    if (given == null || !MessageDigest.isEqual(token, given.getBytes(StandardCharsets.UTF_8))) {
      DaprApiError error = DaprApiError.unauthorized();
      call.close(Status.UNAUTHENTICATED.withDescription(error.message()), new Metadata());
      return new ServerCall.Listener<>() {};
    }
    return next.startCall(call, headers);
  }
}
