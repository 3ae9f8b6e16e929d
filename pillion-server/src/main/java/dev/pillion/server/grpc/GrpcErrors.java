package dev.pillion.server.grpc;

import com.google.protobuf.Any;
import com.google.rpc.ErrorInfo;
import dev.pillion.server.DaprApiError;
import io.grpc.StatusRuntimeException;
import io.grpc.protobuf.StatusProto;

/**
 * Renders a {@link DaprApiError} as daprd does over gRPC: the status code, and an ErrorInfo detail
 * with the reason.
 */
public final class GrpcErrors {
  private static final String DOMAIN = "dapr.io";

  private GrpcErrors() {}

  /**
   * The gRPC error for a Dapr API error.
   *
   * @param error the error
   * @return a status exception carrying a {@code google.rpc.Status} with an ErrorInfo detail
   */
  public static StatusRuntimeException toStatus(DaprApiError error) {
    com.google.rpc.Status status =
        com.google.rpc.Status.newBuilder()
            .setCode(error.grpcCode().value())
            .setMessage(error.message())
            .addDetails(
                Any.pack(
                    ErrorInfo.newBuilder().setReason(error.reason()).setDomain(DOMAIN).build()))
            .build();
    return StatusProto.toStatusRuntimeException(status);
  }
}
