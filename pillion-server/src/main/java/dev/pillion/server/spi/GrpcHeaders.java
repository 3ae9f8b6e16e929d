package dev.pillion.server.spi;

import io.grpc.Context;
import io.grpc.Contexts;
import io.grpc.Metadata;
import io.grpc.ServerCall;
import io.grpc.ServerCallHandler;
import io.grpc.ServerInterceptor;
import java.util.Optional;

/**
 * The headers (gRPC metadata) of the call being handled, for what Dapr reads from them rather than
 * from the request message, such as the W3C trace context ({@code traceparent}).
 */
public final class GrpcHeaders {
  private static final Context.Key<Metadata> HEADERS = Context.key("pillion-request-headers");

  private GrpcHeaders() {}

  /**
   * A header of the call being handled, on the thread that handles it, for a method registered
   * {@link GrpcMethod#readingHeaders reading headers}.
   *
   * @param name the header's name, lower case, not ending in {@code -bin}
   * @return its last value, or empty when absent or outside a call
   */
  public static Optional<String> current(String name) {
    Metadata headers = HEADERS.get();
    if (headers == null) {
      return Optional.empty();
    }
    return Optional.ofNullable(
        headers.get(Metadata.Key.of(name, Metadata.ASCII_STRING_MARSHALLER)));
  }

  /**
   * Every text header of the call being handled (binary {@code -bin} headers and gRPC's own {@code
   * grpc-*} and pseudo headers left out), on the thread that handles it.
   *
   * @return each name with its values in order; empty outside a call
   */
  public static java.util.Map<String, java.util.List<String>> all() {
    Metadata headers = HEADERS.get();
    if (headers == null) {
      return java.util.Map.of();
    }
    java.util.Map<String, java.util.List<String>> all = new java.util.LinkedHashMap<>();
    for (String name : headers.keys()) {
      if (name.endsWith(Metadata.BINARY_HEADER_SUFFIX)
          || name.startsWith("grpc-")
          || name.startsWith(":")) {
        continue;
      }
      Iterable<String> values =
          headers.getAll(Metadata.Key.of(name, Metadata.ASCII_STRING_MARSHALLER));
      if (values != null) {
        java.util.List<String> list = new java.util.ArrayList<>();
        values.forEach(list::add);
        all.put(name, java.util.List.copyOf(list));
      }
    }
    return java.util.Collections.unmodifiableMap(all);
  }

  /**
   * The interceptor that makes each call's headers available to {@link #current} while its handler
   * runs; {@link GrpcMethod#readingHeaders} installs it on the methods that read them.
   *
   * @return the interceptor
   */
  public static ServerInterceptor capture() {
    return new ServerInterceptor() {
      @Override
      public <Q, R> ServerCall.Listener<Q> interceptCall(
          ServerCall<Q, R> call, Metadata headers, ServerCallHandler<Q, R> next) {
        return Contexts.interceptCall(
            Context.current().withValue(HEADERS, headers), call, headers, next);
      }
    };
  }
}
