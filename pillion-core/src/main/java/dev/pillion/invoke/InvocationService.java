package dev.pillion.invoke;

import dev.pillion.AppHealth;
import dev.pillion.invoke.resolution.AppAddress;
import dev.pillion.invoke.resolution.AppInstance;
import dev.pillion.invoke.resolution.AppNotFoundException;
import dev.pillion.invoke.resolution.spi.NameResolver;
import dev.pillion.invoke.spi.AppInvoker;
import dev.pillion.invoke.spi.RemoteInvoker;
import java.util.Objects;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutionException;

/**
 * The service invocation of one runtime ({@link dev.pillion.Pillion#invocation()}): its in-process
 * handlers, the app channel and the remote path the server connects, and its place in the JVM-wide
 * registry of runtimes (joined when created with an app id, left when closed). Thread-safe.
 *
 * <p>What answers an invocation of this app ({@link #serve}): the in-process handler of the method;
 * else the connected app channel ({@link #connectApp}); else, when the app has in-process handlers,
 * a 404 answer as an app's router gives; else the app cannot be reached.
 */
public final class InvocationService implements Invocation, AutoCloseable {
  /** The namespace of a runtime that names none, as in daprd. */
  public static final String DEFAULT_NAMESPACE = "default";

  private static final System.Logger LOG = System.getLogger(InvocationService.class.getName());

  private final String appId;
  private final String namespace;
  private final boolean inProcess;
  private final ConcurrentHashMap<String, InvocationHandler> handlers = new ConcurrentHashMap<>();
  private volatile Optional<AppInvoker> app = Optional.empty();
  private volatile Optional<Remote> remote = Optional.empty();
  private volatile boolean closed;

  private record Remote(NameResolver resolver, RemoteInvoker invoker) {}

  private InvocationService(String appId, String namespace, boolean inProcess) {
    this.appId = appId;
    this.namespace = namespace.isEmpty() ? DEFAULT_NAMESPACE : namespace;
    this.inProcess = inProcess && !appId.isEmpty();
    if (this.inProcess) {
      InProcessApps.register(this);
    }
  }

  /**
   * The invocation of a runtime.
   *
   * @param appId the runtime's app id; empty for a runtime no one can address
   * @param namespace its namespace; empty for {@value #DEFAULT_NAMESPACE}
   * @param inProcess whether other runtimes of this JVM call it directly (true) or only through its
   *     internal endpoint, like runtimes of other processes
   * @return the invocation; close it with the runtime
   */
  public static InvocationService create(String appId, String namespace, boolean inProcess) {
    Objects.requireNonNull(appId, "appId");
    Objects.requireNonNull(namespace, "namespace");
    if (!appId.isEmpty()) {
      AppInstance.checkAppId(appId, "app id");
    }
    if (!namespace.isEmpty()) {
      AppInstance.checkAppId(namespace, "namespace");
    }
    return new InvocationService(appId, namespace, inProcess);
  }

  /**
   * The app id.
   *
   * @return the app id, empty when the runtime has none
   */
  public String appId() {
    return appId;
  }

  /**
   * The namespace.
   *
   * @return the namespace, {@value #DEFAULT_NAMESPACE} when the runtime names none
   */
  public String namespace() {
    return namespace;
  }

  @Override
  public void onInvoke(String method, InvocationHandler handler) {
    String checked = InvocationRequest.checkMethod(method);
    Objects.requireNonNull(handler, "handler");
    if (appId.isEmpty()) {
      throw new IllegalStateException(
          "the runtime has no app id, so no one can invoke its method '" + checked + "'");
    }
    if (handlers.putIfAbsent(checked, handler) != null) {
      throw new IllegalArgumentException(
          "the method '" + checked + "' of app '" + appId + "' already has a handler");
    }
  }

  /**
   * Calls this app's app channel for methods without an in-process handler, until the returned
   * handle is closed.
   *
   * @param invoker the app channel
   * @return closes to disconnect it
   * @throws IllegalStateException when an app channel is connected already
   */
  public AutoCloseable connectApp(AppInvoker invoker) {
    return connectApp(invoker, AppHealth.unchecked());
  }

  /**
   * Calls this app's app channel for methods without an in-process handler while the app is
   * healthy, until the returned handle is closed. While it is unhealthy a call fails at once with
   * {@link AppUnhealthyException} and never reaches the app, as daprd short-circuits invocations of
   * an app its health check finds unhealthy; in-process handlers are not gated.
   *
   * @param invoker the app channel
   * @param health the app's health, asked on every call
   * @return closes to disconnect it
   * @throws IllegalStateException when an app channel is connected already
   */
  public synchronized AutoCloseable connectApp(AppInvoker invoker, AppHealth health) {
    Objects.requireNonNull(invoker, "invoker");
    Objects.requireNonNull(health, "health");
    if (app.isPresent()) {
      throw new IllegalStateException("app '" + appId + "' has an app channel already");
    }
    Optional<AppInvoker> connected =
        Optional.of(
            request ->
                health.healthy()
                    ? invoker.invoke(request)
                    : CompletableFuture.failedFuture(new AppUnhealthyException(appId)));
    app = connected;
    return () -> {
      synchronized (this) {
        if (app == connected) {
          app = Optional.empty();
        }
      }
    };
  }

  /**
   * Sends invocations of apps outside this JVM through name resolution and another runtime's
   * internal endpoint, until the returned handle is closed.
   *
   * @param resolver finds a target's runtime
   * @param invoker calls it
   * @return closes to disconnect them (it closes neither)
   * @throws IllegalStateException when a remote path is connected already
   */
  public synchronized AutoCloseable connectRemote(NameResolver resolver, RemoteInvoker invoker) {
    Optional<Remote> connected =
        Optional.of(
            new Remote(
                Objects.requireNonNull(resolver, "resolver"),
                Objects.requireNonNull(invoker, "invoker")));
    if (remote.isPresent()) {
      throw new IllegalStateException("app '" + appId + "' has a remote invocation path already");
    }
    remote = connected;
    return () -> {
      synchronized (this) {
        if (remote == connected) {
          remote = Optional.empty();
        }
      }
    };
  }

  /**
   * Answers an invocation of this app (from this JVM, or from another runtime through the internal
   * endpoint).
   *
   * @param request the request
   * @return the answer
   */
  public CompletionStage<InvocationResponse> serve(InvocationRequest request) {
    InvocationHandler handler = handlers.get(request.method());
    if (handler != null) {
      return CompletableFuture.completedFuture(call(handler, request));
    }
    Optional<AppInvoker> channel = app;
    if (channel.isPresent()) {
      try {
        return channel.get().invoke(request);
      } catch (RuntimeException e) {
        return CompletableFuture.failedFuture(e);
      }
    }
    if (!handlers.isEmpty()) {
      return CompletableFuture.completedFuture(
          InvocationResponse.builder()
              .status(404)
              .contentType("text/plain; charset=utf-8")
              .body("app '" + appId + "' has no handler for method '" + request.method() + "'")
              .build());
    }
    return CompletableFuture.failedFuture(
        new AppUnreachableException(
            appId,
            "app '"
                + appId
                + "' has no app channel (no app port) and no in-process handler for method '"
                + request.method()
                + "'"));
  }

  private InvocationResponse call(InvocationHandler handler, InvocationRequest request) {
    try {
      return Objects.requireNonNull(handler.handle(request), "the handler's answer");
    } catch (RuntimeException e) {
      LOG.log(
          System.Logger.Level.WARNING,
          "the handler of method '" + request.method() + "' of app '" + appId + "' failed",
          e);
      return InvocationResponse.builder()
          .status(500)
          .contentType("text/plain; charset=utf-8")
          .body(
              "the handler of method '"
                  + request.method()
                  + "' of app '"
                  + appId
                  + "' failed: "
                  + e)
          .build();
    }
  }

  @Override
  public InvocationResponse invoke(String target, InvocationRequest request) {
    Objects.requireNonNull(request, "request");
    Target parsed = Target.parse(target, namespace);
    Optional<InvocationService> local = InProcessApps.find(parsed.appId, parsed.namespace);
    if (local.isPresent()) {
      InvocationHandler handler = local.get().handlers.get(request.method());
      if (handler != null) {
        return local.get().call(handler, request);
      }
    }
    try {
      return send(parsed, local, request).toCompletableFuture().get();
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new AppUnreachableException(
          parsed.appId, "interrupted while invoking app '" + parsed.appId + "'", e);
    } catch (ExecutionException e) {
      throw rethrow(e.getCause());
    }
  }

  private static RuntimeException rethrow(Throwable failure) {
    Throwable cause = failure;
    while (cause instanceof CompletionException && cause.getCause() != null) {
      cause = cause.getCause();
    }
    if (cause instanceof RuntimeException runtime) {
      return runtime;
    }
    return new InvocationException(String.valueOf(cause), cause);
  }

  @Override
  public CompletionStage<InvocationResponse> invokeAsync(String target, InvocationRequest request) {
    Objects.requireNonNull(request, "request");
    try {
      Target parsed = Target.parse(target, namespace);
      return send(parsed, InProcessApps.find(parsed.appId, parsed.namespace), request);
    } catch (RuntimeException e) {
      return CompletableFuture.failedFuture(e);
    }
  }

  private CompletionStage<InvocationResponse> send(
      Target target, Optional<InvocationService> local, InvocationRequest request) {
    if (closed) {
      return CompletableFuture.failedFuture(
          new IllegalStateException("the runtime of app '" + appId + "' is closed"));
    }
    if (local.isPresent()) {
      return local.get().serve(request);
    }
    Optional<Remote> path = remote;
    if (path.isEmpty()) {
      return CompletableFuture.failedFuture(
          new AppNotFoundException(
              target.appId,
              target.namespace,
              "no runtime of this JVM serves it, and this runtime has no internal endpoint to"
                  + " reach other processes (it is not served by pillion run or PillionServer)"));
    }
    return remote(path.get(), target, request, true);
  }

  /** Resolves and calls; a refused connection is reported and retried once on the next address. */
  private CompletionStage<InvocationResponse> remote(
      Remote path, Target target, InvocationRequest request, boolean mayRetry) {
    AppAddress address;
    try {
      address = path.resolver.resolve(target.appId, target.namespace);
    } catch (RuntimeException e) {
      return CompletableFuture.failedFuture(e);
    }
    CompletionStage<InvocationResponse> answer;
    try {
      answer = path.invoker.invoke(address, target.appId, target.namespace, request);
    } catch (RuntimeException e) {
      answer = CompletableFuture.failedFuture(e);
    }
    if (!mayRetry) {
      return answer;
    }
    return answer
        .handle(
            (response, failure) -> {
              if (failure == null) {
                return CompletableFuture.completedFuture(response);
              }
              Throwable cause = failure;
              while (cause instanceof CompletionException && cause.getCause() != null) {
                cause = cause.getCause();
              }
              if (cause instanceof RemoteInvoker.RefusedException) {
                path.resolver.unreachable(target.appId, target.namespace, address);
                LOG.log(
                    System.Logger.Level.DEBUG,
                    () -> address + " of app '" + target.appId + "' refused; trying once more");
                return remote(path, target, request, false);
              }
              return CompletableFuture.<InvocationResponse>failedFuture(cause);
            })
        .thenCompose(stage -> stage);
  }

  /** Leaves the JVM-wide registry; calls in flight finish. */
  @Override
  public void close() {
    closed = true;
    if (inProcess) {
      InProcessApps.unregister(this);
    }
  }

  /** An invocation target: {@code appId} or {@code appId.namespace}. */
  private record Target(String appId, String namespace) {
    static Target parse(String target, String ownNamespace) {
      Objects.requireNonNull(target, "target");
      int dot = target.indexOf('.');
      if (dot < 0) {
        return new Target(AppInstance.checkAppId(target, "target app id"), ownNamespace);
      }
      return new Target(
          AppInstance.checkAppId(target.substring(0, dot), "target app id"),
          AppInstance.checkAppId(target.substring(dot + 1), "target namespace"));
    }
  }
}
