package dev.pillion.server.invoke;

import dev.pillion.AppHealth;
import dev.pillion.invoke.resolution.AppAddress;
import dev.pillion.invoke.resolution.AppInstance;
import dev.pillion.invoke.resolution.NameResolutionException;
import dev.pillion.invoke.resolution.spi.NameResolver;
import dev.pillion.server.grpc.DaprServiceDefinition;
import io.grpc.CallOptions;
import io.grpc.Channel;
import io.grpc.ClientCall;
import io.grpc.HandlerRegistry;
import io.grpc.ManagedChannel;
import io.grpc.Metadata;
import io.grpc.MethodDescriptor;
import io.grpc.ServerCall;
import io.grpc.ServerCallHandler;
import io.grpc.ServerInterceptor;
import io.grpc.ServerMethodDefinition;
import io.grpc.Status;
import io.grpc.netty.NettyChannelBuilder;
import java.net.ConnectException;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;

/**
 * gRPC proxying by {@code dapr-app-id}, as daprd does: a call to a method the server does not serve
 * itself, carrying {@code dapr-app-id} (or {@code dapr-callee-app-id}) metadata, is forwarded as
 * is, its messages as bytes never parsed, unary or streaming in either direction, with flow
 * control, deadline and cancellation passed on and the target's headers, messages, status and
 * trailers passed back.
 *
 * <p>On the public gRPC port ({@link #publicRegistry}) a call for this runtime's own app goes to
 * the app's gRPC server; a call for another app goes to the internal endpoint of the runtime in
 * front of it, found by the {@link NameResolver}, with {@code dapr-caller-app-id} and {@code
 * dapr-callee-app-id} set, as daprd sends it to another sidecar. The internal endpoint ({@link
 * #internalRegistry}) forwards only to this runtime's own app: a runtime reached for app {@code a}
 * never relays to another one. Dapr's own metadata ({@code dapr-api-token}, {@code dapr-app-id})
 * and the metadata of one HTTP/2 hop are not forwarded.
 */
public final class GrpcProxy implements AutoCloseable {
  private static final System.Logger LOG = System.getLogger(GrpcProxy.class.getName());

  /** The metadata naming the target app of a proxied call. */
  public static final Metadata.Key<String> APP_ID = ascii(InvocationHeaders.APP_ID);

  /** Set by the calling runtime on a proxied call it forwards to another runtime (daprd's). */
  public static final Metadata.Key<String> CALLEE_APP_ID = ascii(InvocationHeaders.CALLEE_APP_ID);

  /** Set by the calling runtime on a proxied call: who called. */
  public static final Metadata.Key<String> CALLER_APP_ID = ascii(InvocationHeaders.CALLER_APP_ID);

  private static final Metadata.Key<String> API_TOKEN = ascii(InvocationHeaders.API_TOKEN);

  private final String appId;
  private final String namespace;
  private final Optional<Channel> app;
  private final String noApp;
  private final AppHealth health;
  private final NameResolver resolver;
  private final int maxMessageBytes;
  private final ConcurrentHashMap<AppAddress, ManagedChannel> runtimes = new ConcurrentHashMap<>();
  private volatile boolean closed;

  private GrpcProxy(Builder builder) {
    this.appId = Objects.requireNonNull(builder.appId, "appId");
    this.namespace = Objects.requireNonNull(builder.namespace, "namespace");
    this.app = builder.app;
    this.noApp = builder.noApp;
    this.health = builder.health;
    this.resolver = Objects.requireNonNull(builder.resolver, "resolver");
    this.maxMessageBytes = builder.maxMessageBytes;
  }

  /**
   * A builder.
   *
   * @return a new builder
   */
  public static Builder builder() {
    return new Builder();
  }

  private static Metadata.Key<String> ascii(String name) {
    return Metadata.Key.of(name, Metadata.ASCII_STRING_MARSHALLER);
  }

  /**
   * The fallback of the public gRPC server: forwards to the own app or to another app's runtime.
   *
   * @param interceptors applied to every proxied call as to Dapr's own methods (the API token, the
   *     API log), in the order {@link io.grpc.ServerInterceptors#intercept} takes them: the last
   *     one runs first
   * @return the registry
   */
  public HandlerRegistry publicRegistry(List<ServerInterceptor> interceptors) {
    return new Registry(false, List.copyOf(interceptors));
  }

  /**
   * The fallback of the internal endpoint: forwards calls another runtime proxies to this runtime's
   * app.
   *
   * @return the registry
   */
  public HandlerRegistry internalRegistry() {
    return new Registry(true, List.of());
  }

  /** Answers every method a server does not serve itself with a forwarding handler. */
  private final class Registry extends HandlerRegistry {
    private final boolean internal;
    private final List<ServerInterceptor> interceptors;

    Registry(boolean internal, List<ServerInterceptor> interceptors) {
      this.internal = internal;
      this.interceptors = interceptors;
    }

    @Override
    public ServerMethodDefinition<?, ?> lookupMethod(String fullMethodName, String authority) {
      MethodDescriptor<byte[], byte[]> method =
          MethodDescriptor.newBuilder(DaprServiceDefinition.BYTES, DaprServiceDefinition.BYTES)
              // Unknown: the proxy cannot tell unary from streaming, and need not.
              .setType(MethodDescriptor.MethodType.UNKNOWN)
              .setFullMethodName(fullMethodName)
              .build();
      ServerCallHandler<byte[], byte[]> handler = new Forwarder(internal, method);
      for (ServerInterceptor interceptor : interceptors) {
        ServerCallHandler<byte[], byte[]> next = handler;
        handler = (call, headers) -> interceptor.interceptCall(call, headers, next);
      }
      return ServerMethodDefinition.create(method, handler);
    }
  }

  /** Where one call goes: the channel, the other runtime's address if any, and the target app. */
  private record Destination(
      Channel channel, Optional<AppAddress> runtime, String appId, String namespace) {}

  /** A refusal before anything is forwarded. */
  private static final class Refusal extends Exception {
    private static final long serialVersionUID = 1L;
    private final transient Status status;

    Refusal(Status status) {
      super(status.getDescription(), null, false, false);
      this.status = status;
    }
  }

  private final class Forwarder implements ServerCallHandler<byte[], byte[]> {
    private final boolean internal;
    private final MethodDescriptor<byte[], byte[]> method;

    Forwarder(boolean internal, MethodDescriptor<byte[], byte[]> method) {
      this.internal = internal;
      this.method = method;
    }

    @Override
    public ServerCall.Listener<byte[]> startCall(
        ServerCall<byte[], byte[]> caller, Metadata headers) {
      Destination destination;
      try {
        destination = destination(headers);
      } catch (Refusal refusal) {
        caller.close(refusal.status, new Metadata());
        return new ServerCall.Listener<>() {};
      }
      // gRPC's transport replaces the metadata of one hop itself (content type, deadline,
      // compression, user agent): the rest goes on as the caller sent it.
      Metadata outgoing = new Metadata();
      outgoing.merge(headers);
      outgoing.discardAll(API_TOKEN);
      outgoing.discardAll(APP_ID);
      if (!internal) {
        // Who called and whom, as daprd tells another sidecar; set here, never taken from the
        // caller, so an app cannot pass for another.
        outgoing.discardAll(CALLER_APP_ID);
        outgoing.discardAll(CALLEE_APP_ID);
        if (!appId.isEmpty()) {
          outgoing.put(CALLER_APP_ID, appId);
        }
        outgoing.put(CALLEE_APP_ID, destination.appId());
      }
      // Created in the incoming call's context: its deadline becomes this call's deadline and its
      // cancellation (the caller went away, or the deadline passed) cancels this call.
      ClientCall<byte[], byte[]> target =
          destination.channel().newCall(method, CallOptions.DEFAULT);
      Pump pump = new Pump(caller, target, destination);
      target.start(pump.fromTarget(), outgoing);
      caller.request(1);
      target.request(1);
      return pump.fromCaller();
    }

    private Destination destination(Metadata headers) throws Refusal {
      Metadata.Key<String> key = headers.containsKey(CALLEE_APP_ID) ? CALLEE_APP_ID : APP_ID;
      String named = headers.get(key);
      if (named == null) {
        throw new Refusal(
            Status.UNIMPLEMENTED.withDescription(
                // gRPC's own words first, as before proxying existed.
                "Method not found: "
                    + method.getFullMethodName()
                    + " (to proxy it to an app, name the app in the 'dapr-app-id' metadata)"));
      }
      String targetId;
      String targetNamespace;
      try {
        int dot = named.indexOf('.');
        targetId = AppInstance.checkAppId(dot < 0 ? named : named.substring(0, dot), "app id");
        targetNamespace =
            dot < 0 ? namespace : AppInstance.checkAppId(named.substring(dot + 1), "namespace");
      } catch (IllegalArgumentException e) {
        throw new Refusal(
            Status.INVALID_ARGUMENT.withDescription(
                "failed to proxy request: " + key.name() + " '" + named + "': " + e.getMessage()));
      }
      boolean own = targetId.equals(appId) && targetNamespace.equals(namespace);
      if (own) {
        return new Destination(ownApp(), Optional.empty(), targetId, targetNamespace);
      }
      if (internal) {
        throw new Refusal(
            Status.NOT_FOUND.withDescription(
                "failed to proxy request: this runtime serves app '"
                    + appId
                    + "' in namespace '"
                    + namespace
                    + "', not '"
                    + named
                    + "'"));
      }
      AppAddress address;
      try {
        address = resolver.resolve(targetId, targetNamespace);
      } catch (NameResolutionException e) {
        // daprd returns its resolver's error as is, which gRPC sends as UNKNOWN.
        throw new Refusal(
            Status.UNKNOWN.withDescription("failed to proxy request: " + e.getMessage()));
      }
      return new Destination(runtime(address), Optional.of(address), targetId, targetNamespace);
    }

    private Channel ownApp() throws Refusal {
      if (app.isEmpty()) {
        throw new Refusal(
            Status.FAILED_PRECONDITION.withDescription(
                "failed to proxy request to app '" + appId + "': " + noApp));
      }
      if (!health.healthy()) {
        throw new Refusal(
            Status.UNAVAILABLE.withDescription(
                "failed to proxy request to app '" + appId + "': app is not in a healthy state"));
      }
      return app.get();
    }
  }

  /** The channel to another runtime's internal endpoint, kept for reuse. */
  private Channel runtime(AppAddress address) throws Refusal {
    if (closed) {
      throw new Refusal(Status.UNAVAILABLE.withDescription("the runtime is closing"));
    }
    return runtimes.computeIfAbsent(
        address,
        key ->
            NettyChannelBuilder.forAddress(key.host(), key.port())
                .usePlaintext()
                .directExecutor()
                .maxInboundMessageSize(maxMessageBytes)
                .build());
  }

  /**
   * Moves one call's messages both ways. Each side asks for the next message only when the other
   * side can take it ({@code isReady}), so a slow reader slows the writer instead of filling
   * memory. The caller's {@link ServerCall} is used (beyond {@code request}) only from the target's
   * listener, and the target's {@link ClientCall} only from the caller's listener, each of which
   * gRPC calls one at a time; what the two share is guarded by {@code lock}.
   */
  private final class Pump {
    private final ServerCall<byte[], byte[]> caller;
    private final ClientCall<byte[], byte[]> target;
    private final Destination destination;
    private final Object lock = new Object();
    private boolean callerHeldBack;
    private boolean targetHeldBack;

    Pump(ServerCall<byte[], byte[]> caller, ClientCall<byte[], byte[]> target, Destination to) {
      this.caller = caller;
      this.target = target;
      this.destination = to;
    }

    ServerCall.Listener<byte[]> fromCaller() {
      return new ServerCall.Listener<>() {
        @Override
        public void onMessage(byte[] message) {
          target.sendMessage(message);
          synchronized (lock) {
            if (target.isReady()) {
              caller.request(1);
            } else {
              callerHeldBack = true;
            }
          }
        }

        @Override
        public void onHalfClose() {
          target.halfClose();
        }

        @Override
        public void onCancel() {
          target.cancel("the caller cancelled the call", null);
        }

        @Override
        public void onReady() {
          synchronized (lock) {
            if (targetHeldBack) {
              targetHeldBack = false;
              target.request(1);
            }
          }
        }
      };
    }

    ClientCall.Listener<byte[]> fromTarget() {
      return new ClientCall.Listener<>() {
        @Override
        public void onHeaders(Metadata headers) {
          caller.sendHeaders(headers);
        }

        @Override
        public void onMessage(byte[] message) {
          caller.sendMessage(message);
          synchronized (lock) {
            if (caller.isReady()) {
              target.request(1);
            } else {
              targetHeldBack = true;
            }
          }
        }

        @Override
        public void onClose(Status status, Metadata trailers) {
          if (destination.runtime().isPresent() && refused(status)) {
            // Nothing reached that runtime: let name resolution skip it for the next call.
            resolver.unreachable(
                destination.appId(), destination.namespace(), destination.runtime().get());
          }
          try {
            caller.close(status, trailers);
          } catch (IllegalStateException e) {
            LOG.log(
                System.Logger.Level.DEBUG,
                () -> "proxied call ended after its caller: " + e.getMessage());
          }
        }

        @Override
        public void onReady() {
          synchronized (lock) {
            if (callerHeldBack) {
              callerHeldBack = false;
              caller.request(1);
            }
          }
        }
      };
    }
  }

  private static boolean refused(Status status) {
    if (status.getCode() != Status.Code.UNAVAILABLE) {
      return false;
    }
    for (Throwable cause = status.getCause(); cause != null; cause = cause.getCause()) {
      if (cause instanceof ConnectException) {
        return true;
      }
    }
    return false;
  }

  /** Closes the channels to other runtimes; calls in flight are cancelled after a second. */
  @Override
  public void close() {
    closed = true;
    List<ManagedChannel> open = new ArrayList<>(runtimes.values());
    runtimes.clear();
    open.forEach(ManagedChannel::shutdown);
    for (ManagedChannel channel : open) {
      try {
        if (!channel.awaitTermination(1, TimeUnit.SECONDS)) {
          channel.shutdownNow();
        }
      } catch (InterruptedException e) {
        channel.shutdownNow();
        Thread.currentThread().interrupt();
      }
    }
  }

  /** Builds a {@link GrpcProxy}. */
  public static final class Builder {
    private String appId;
    private String namespace;
    private Optional<Channel> app = Optional.empty();
    private String noApp = "it has no app port (--app-port)";
    private AppHealth health = AppHealth.unchecked();
    private NameResolver resolver;
    private int maxMessageBytes = 4 * 1024 * 1024;

    private Builder() {}

    /**
     * This runtime's app id (required; empty for a runtime without an app).
     *
     * @param appId the app id
     * @return this builder
     */
    public Builder appId(String appId) {
      this.appId = Objects.requireNonNull(appId, "appId");
      return this;
    }

    /**
     * This runtime's namespace (required).
     *
     * @param namespace the namespace
     * @return this builder
     */
    public Builder namespace(String namespace) {
      this.namespace = Objects.requireNonNull(namespace, "namespace");
      return this;
    }

    /**
     * The channel to the app's gRPC server; without one, calls for the app fail with
     * FAILED_PRECONDITION and {@link #noApp}'s reason.
     *
     * @param channel the channel (the caller's; not closed here)
     * @return this builder
     */
    public Builder app(Channel channel) {
      this.app = Optional.of(Objects.requireNonNull(channel, "channel"));
      return this;
    }

    /**
     * Why the app cannot take proxied calls, when there is no {@link #app} channel; by default that
     * it has no app port.
     *
     * @param reason the reason, for the caller's error
     * @return this builder
     */
    public Builder noApp(String reason) {
      this.noApp = Objects.requireNonNull(reason, "reason");
      return this;
    }

    /**
     * The app's health: calls for the app fail with UNAVAILABLE while it is unhealthy; unchecked by
     * default.
     *
     * @param health the health
     * @return this builder
     */
    public Builder health(AppHealth health) {
      this.health = Objects.requireNonNull(health, "health");
      return this;
    }

    /**
     * Finds the runtime in front of another app (required; the caller's, not closed here).
     *
     * @param resolver the resolver
     * @return this builder
     */
    public Builder resolver(NameResolver resolver) {
      this.resolver = Objects.requireNonNull(resolver, "resolver");
      return this;
    }

    /**
     * The largest message accepted from another runtime; 4 MiB by default.
     *
     * @param bytes the limit
     * @return this builder
     */
    public Builder maxMessageBytes(int bytes) {
      if (bytes < 1) {
        throw new IllegalArgumentException("maxMessageBytes must be positive, got " + bytes);
      }
      this.maxMessageBytes = bytes;
      return this;
    }

    /**
     * Builds the proxy.
     *
     * @return the proxy; close it to close its channels to other runtimes
     */
    public GrpcProxy build() {
      return new GrpcProxy(this);
    }
  }
}
