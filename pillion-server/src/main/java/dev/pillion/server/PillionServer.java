package dev.pillion.server;

import dev.pillion.AppHealth;
import dev.pillion.Pillion;
import dev.pillion.abi.PillionException;
import dev.pillion.invoke.InvocationService;
import dev.pillion.invoke.resolution.AppInstance;
import dev.pillion.invoke.resolution.NameResolvers;
import dev.pillion.invoke.resolution.spi.NameResolver;
import dev.pillion.invoke.resolution.spi.ResolverConfiguration;
import dev.pillion.pubsub.AppChannel;
import dev.pillion.pubsub.Subscription;
import dev.pillion.pubsub.SubscriptionDefinition;
import dev.pillion.server.app.AppHealthChecker;
import dev.pillion.server.app.HttpAppHealthProbe;
import dev.pillion.server.grpc.ApiLogInterceptor;
import dev.pillion.server.grpc.ApiTokenInterceptor;
import dev.pillion.server.grpc.GrpcAppChannel;
import dev.pillion.server.http.ApiLogHandler;
import dev.pillion.server.http.ConnectionLimiter;
import dev.pillion.server.http.HttpApiHandler;
import dev.pillion.server.http.HttpAppChannel;
import dev.pillion.server.http.HttpServerPipeline;
import dev.pillion.server.invoke.GrpcProxy;
import dev.pillion.server.invoke.GrpcRemoteInvoker;
import dev.pillion.server.invoke.HttpAppInvoker;
import dev.pillion.server.invoke.InternalEndpoint;
import dev.pillion.server.spi.ApiModule;
import io.grpc.Server;
import io.grpc.ServerInterceptor;
import io.grpc.ServerInterceptors;
import io.grpc.ServerServiceDefinition;
import io.grpc.netty.NettyServerBuilder;
import io.netty.bootstrap.ServerBootstrap;
import io.netty.channel.Channel;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.ChannelOption;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.nio.NioEventLoopGroup;
import io.netty.channel.socket.SocketChannel;
import io.netty.channel.socket.nio.NioServerSocketChannel;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * Serves a runtime through Dapr's HTTP API (default port 3500) and gRPC API (default port 50001),
 * so applications written against daprd, and the official Dapr SDKs, work unchanged. Binds to
 * loopback unless told otherwise; enforces {@code DAPR_API_TOKEN} when one is set; closes
 * gracefully, letting calls in flight finish.
 *
 * <pre>{@code
 * try (PillionServer server = PillionServer.builder().runtime(runtime).build().start()) {
 *   server.awaitShutdown();
 * }
 * }</pre>
 */
public final class PillionServer implements AutoCloseable {
  /** Reported as the runtime version by the metadata API. */
  public static final String RUNTIME_VERSION = "pillion-0.1.0";

  private static final System.Logger LOG = System.getLogger(PillionServer.class.getName());
  private static final String APP_HOST = "127.0.0.1";

  /** How long the runtime waits for the app to listen on its port before giving up. */
  private static final Duration APP_WAIT = Duration.ofMinutes(5);

  private final Pillion runtime;
  private final String bindAddress;
  private final int requestedHttpPort;
  private final int requestedGrpcPort;
  private final Optional<String> apiToken;
  private final int maxBodyBytes;
  private final HttpLimits httpLimits;
  private final int maxConnections;
  private final Duration gracePeriod;
  private final boolean closeRuntime;
  private final List<AutoCloseable> closeAlso;
  private final Optional<Integer> appPort;
  private final AppProtocol appProtocol;
  private Optional<GrpcAppChannel> grpcApp = Optional.empty();
  private final int appMaxConcurrency;

  /** The app health check, when enabled; null otherwise. */
  private final AppHealthChecker appHealthChecker;

  /** What the app's subscriptions and app channel ask before sending the app anything. */
  private final AppHealth appHealth;

  private final boolean apiLogging;
  private final DaprApi api;
  private final BlockingCallsExecutor blockingExecutor;
  private final List<Subscription> appSubscriptions = new ArrayList<>();
  private final Object appLock = new Object();
  private final Readiness readiness;
  private Thread appConnector;
  private final CountDownLatch stopped = new CountDownLatch(1);
  private final AtomicBoolean closing = new AtomicBoolean();
  private EventLoopGroup boss;
  private EventLoopGroup workers;
  private Channel httpChannel;
  private Server grpcServer;
  private final int requestedInternalPort;
  private final NameResolvers nameResolvers;
  private final List<AutoCloseable> invocationResources = new ArrayList<>();
  private InternalEndpoint internalEndpoint;

  /** Room for an invocation's method, headers and framing beyond its body on the internal port. */
  private static final int INTERNAL_MESSAGE_OVERHEAD = 256 * 1024;

  private PillionServer(Builder builder) {
    this.requestedInternalPort = builder.internalGrpcPort;
    this.nameResolvers = builder.nameResolvers;
    this.runtime = Objects.requireNonNull(builder.runtime, "runtime");
    this.bindAddress = builder.bindAddress;
    this.requestedHttpPort = builder.httpPort;
    this.requestedGrpcPort = builder.grpcPort;
    this.apiToken = builder.apiToken;
    this.maxBodyBytes = builder.maxBodyBytes;
    this.httpLimits =
        new HttpLimits(
            builder.maxBodyBytes,
            builder.readBufferBytes,
            builder.readTimeout,
            builder.idleTimeout);
    this.maxConnections = builder.maxConnections;
    this.gracePeriod = builder.gracePeriod;
    this.closeRuntime = builder.closeRuntime;
    this.closeAlso = List.copyOf(builder.closeAlso);
    this.appPort = builder.appPort;
    this.appProtocol = builder.appProtocol;
    this.appMaxConcurrency = builder.appMaxConcurrency;
    if (builder.appHealthCheck) {
      if (appPort.isEmpty()) {
        throw new IllegalArgumentException(
            "the app health check (--enable-app-health-check) needs the app's port (--app-port)");
      }
      this.appHealthChecker =
          AppHealthChecker.builder(
                  appProtocol == AppProtocol.GRPC
                      // AppCallbackHealthCheck on the channel start() opens, before the checker
                      // starts.
                      ? timeout -> grpcApp.orElseThrow().healthy(timeout)
                      : HttpAppHealthProbe.create(
                          APP_HOST, appPort.get(), builder.appHealthCheckPath))
              .interval(builder.appHealthProbeInterval)
              .timeout(builder.appHealthProbeTimeout)
              .threshold(builder.appHealthThreshold)
              .build();
      this.appHealth = appHealthChecker;
    } else {
      this.appHealthChecker = null;
      this.appHealth = AppHealth.unchecked();
    }
    this.apiLogging = builder.apiLogging;
    this.readiness =
        appPort
            .map(port -> Readiness.waitingFor("the app on port " + port + " to accept connections"))
            .orElseGet(Readiness::ready);
    Runnable shutdown = () -> new Thread(this::close, "pillion-shutdown").start();
    this.blockingExecutor = BlockingCallsExecutor.create(runtime, builder.blockingCalls);
    DaprApi.Builder apiBuilder =
        DaprApi.builder()
            .runtime(runtime)
            .readiness(readiness)
            .shutdown(shutdown)
            .calls(blockingExecutor.calls());
    builder.extraModules.forEach(apiBuilder::module);
    this.api = apiBuilder.build();
    appPort.ifPresent(
        port ->
            api.context()
                .metadata()
                .appConnection(
                    new MetadataGateway.AppConnection(
                        port,
                        appProtocol.name().toLowerCase(java.util.Locale.ROOT),
                        APP_HOST,
                        appMaxConcurrency)));
    if (appHealthChecker != null) {
      api.context()
          .metadata()
          .appHealthCheck(
              new MetadataGateway.AppHealthCheck(
                  builder.appHealthCheckPath,
                  appHealthChecker.interval(),
                  appHealthChecker.timeout(),
                  appHealthChecker.threshold(),
                  appHealthChecker));
    }
  }

  /**
   * A builder.
   *
   * @return a new builder
   */
  public static Builder builder() {
    return new Builder();
  }

  /**
   * Binds both ports and starts serving.
   *
   * @return this server
   * @throws PillionException when a port cannot be bound
   */
  public PillionServer start() {
    // The app channel, the resolver and the proxy exist before the public gRPC port listens: a
    // call proxied by dapr-app-id may arrive as soon as it does.
    if (appProtocol == AppProtocol.GRPC) {
      grpcApp =
          appPort.map(
              port ->
                  GrpcAppChannel.create(
                      runtime.appId(),
                      APP_HOST,
                      port,
                      Duration.ofSeconds(60),
                      maxMessage(maxBodyBytes)));
      grpcApp.ifPresent(invocationResources::add);
    }
    NameResolver resolver;
    try {
      resolver =
          nameResolvers.create(
              runtime.nameResolution(),
              requestedInternalPort == 0
                  ? ResolverConfiguration.DAPR_INTERNAL_GRPC_PORT
                  : requestedInternalPort);
    } catch (RuntimeException e) {
      closeInvocationResources();
      throw e;
    }
    invocationResources.add(resolver);
    GrpcProxy.Builder proxyBuilder =
        GrpcProxy.builder()
            .appId(runtime.appId())
            .namespace(runtime.invocation().namespace())
            .health(appHealth)
            .resolver(resolver)
            .maxMessageBytes(maxMessage(maxBodyBytes));
    if (grpcApp.isPresent()) {
      proxyBuilder.app(grpcApp.get().channel());
    } else if (appPort.isPresent()) {
      proxyBuilder.noApp(
          "it is served over HTTP (--app-protocol http); gRPC proxying needs --app-protocol grpc");
    }
    GrpcProxy proxy = proxyBuilder.build();
    invocationResources.add(proxy);
    try {
      ServerServiceDefinition definition = api.grpcService();
      List<ServerInterceptor> interceptors = new ArrayList<>();
      apiToken.ifPresent(token -> interceptors.add(new ApiTokenInterceptor(token)));
      if (apiLogging) {
        // Outermost (interceptors added last run first), so refused calls are logged too.
        interceptors.add(new ApiLogInterceptor());
      }
      for (ServerInterceptor interceptor : interceptors) {
        definition = ServerInterceptors.intercept(definition, interceptor);
      }
      grpcServer =
          NettyServerBuilder.forAddress(new InetSocketAddress(bindAddress, requestedGrpcPort))
              // Calls into components take microseconds: run them on the transport thread, not an
              // executor hand-off (blocking components get their own executor, see BlockingCalls).
              .directExecutor()
              .maxInboundMessageSize(maxBodyBytes)
              .addService(definition)
              // Any other method: a call proxied to an app by dapr-app-id, with the same token.
              .fallbackHandlerRegistry(proxy.publicRegistry(interceptors))
              .build()
              .start();
    } catch (IOException e) {
      blockingExecutor.close();
      closeInvocationResources();
      throw new PillionException(
          "cannot bind the gRPC API to "
              + bindAddress
              + ":"
              + requestedGrpcPort
              + ": "
              + e.getMessage(),
          e);
    }
    HttpApiHandler handler =
        apiToken
            .map(token -> new HttpApiHandler(api, token, httpLimits))
            .orElseGet(() -> new HttpApiHandler(api, httpLimits));
    boss = new NioEventLoopGroup(1);
    workers = new NioEventLoopGroup();
    try {
      ServerBootstrap bootstrap =
          new ServerBootstrap()
              .group(boss, workers)
              .channel(NioServerSocketChannel.class)
              .childOption(ChannelOption.TCP_NODELAY, true)
              .childHandler(
                  new ChannelInitializer<SocketChannel>() {
                    @Override
                    protected void initChannel(SocketChannel channel) {
                      HttpServerPipeline.configure(channel.pipeline(), httpLimits, handler);
                      if (apiLogging) {
                        channel.pipeline().addBefore("api", "api-log", new ApiLogHandler());
                      }
                    }
                  });
      if (maxConnections > 0) {
        bootstrap.handler(new ConnectionLimiter(maxConnections));
      }
      httpChannel =
          bootstrap.bind(new InetSocketAddress(bindAddress, requestedHttpPort)).sync().channel();
    } catch (Exception e) {
      grpcServer.shutdownNow();
      blockingExecutor.close();
      closeInvocationResources();
      boss.shutdownGracefully(0, 0, TimeUnit.MILLISECONDS);
      workers.shutdownGracefully(0, 0, TimeUnit.MILLISECONDS);
      throw new PillionException(
          "cannot bind the HTTP API to "
              + bindAddress
              + ":"
              + requestedHttpPort
              + ": "
              + e.getMessage(),
          e);
    }
    if (appHealthChecker != null) {
      appHealthChecker.start();
    }
    appPort.ifPresent(this::connectApp);
    try {
      startInvocation(resolver, proxy);
    } catch (RuntimeException e) {
      close();
      throw e;
    }
    LOG.log(
        System.Logger.Level.INFO,
        "Dapr API for app '"
            + runtime.appId()
            + "' on http://"
            + bindAddress
            + ":"
            + httpPort()
            + " and grpc "
            + bindAddress
            + ":"
            + grpcPort()
            + " (internal invocation endpoint: port "
            + internalGrpcPort()
            + ")");
    return this;
  }

  /**
   * Service invocation: the app channel (HTTP, when there is an app port), the internal endpoint
   * other runtimes call (with the proxy's fallback for gRPC calls proxied to the app), and this
   * app's registration with the resolver once the endpoint listens. Each piece is kept for {@link
   * #close()}, which undoes them in reverse order: the registration is withdrawn before the
   * endpoint stops.
   */
  private void startInvocation(NameResolver resolver, GrpcProxy proxy) {
    InvocationService invocation = runtime.invocation();
    if (grpcApp.isPresent()) {
      invocationResources.add(invocation.connectApp(grpcApp.get(), appHealth));
    } else if (appPort.isPresent()) {
      HttpAppInvoker app =
          HttpAppInvoker.create(
              runtime.appId(), APP_HOST, appPort.get(), workers, maxMessage(maxBodyBytes));
      invocationResources.add(app);
      invocationResources.add(invocation.connectApp(app, appHealth));
    }
    int maxMessage = maxMessage(maxBodyBytes);
    internalEndpoint =
        InternalEndpoint.start(
            bindAddress,
            requestedInternalPort,
            invocation,
            maxMessage,
            boss,
            workers,
            proxy.internalRegistry());
    GrpcRemoteInvoker remote = GrpcRemoteInvoker.create(maxMessage, workers);
    invocationResources.add(remote);
    invocationResources.add(invocation.connectRemote(resolver, remote));
    if (!runtime.appId().isEmpty()) {
      invocationResources.add(
          resolver.register(
              AppInstance.builder()
                  .appId(runtime.appId())
                  .namespace(invocation.namespace())
                  .host(advertisedHost())
                  .internalGrpcPort(internalEndpoint.port())
                  .httpPort(httpPort())
                  .build()));
    }
  }

  private static int maxMessage(int maxBodyBytes) {
    return maxBodyBytes > Integer.MAX_VALUE - INTERNAL_MESSAGE_OVERHEAD
        ? Integer.MAX_VALUE
        : maxBodyBytes + INTERNAL_MESSAGE_OVERHEAD;
  }

  /** Where other runtimes reach this one: the bound address, or loopback for a wildcard bind. */
  private String advertisedHost() {
    InetSocketAddress bound = new InetSocketAddress(bindAddress, 0);
    return bound.getAddress() == null || bound.getAddress().isAnyLocalAddress()
        ? APP_HOST
        : bound.getAddress().getHostAddress();
  }

  /**
   * The bound port of the internal invocation endpoint ({@code --dapr-internal-grpc-port}).
   *
   * @return the port
   */
  public int internalGrpcPort() {
    return internalEndpoint.port();
  }

  /**
   * Once the app accepts connections, reads its subscriptions ({@code GET /dapr/subscribe}, or
   * {@code ListTopicSubscriptions} for a gRPC app) and starts them and the declared ones,
   * delivering over the app's protocol; then the runtime is ready. Runs in the background: the app
   * usually starts after the runtime. An answer that cannot be read is one ERROR line, and the
   * declared subscriptions start all the same; an app that never listens leaves the runtime not
   * ready, as in daprd.
   */
  private void connectApp(int port) {
    // Also waits for a gRPC app: whether the port accepts TCP connections is protocol-neutral.
    HttpAppChannel http = new HttpAppChannel(APP_HOST, port, Duration.ofSeconds(60));
    String listing =
        grpcApp.isPresent()
            ? "gRPC ListTopicSubscriptions on port " + port
            : "GET /dapr/subscribe on port " + port;
    appConnector =
        new Thread(
            () -> {
              try {
                http.awaitListening(APP_WAIT);
                readiness.stillWaitingFor("the app's subscriptions (" + listing + ")");
                List<SubscriptionDefinition> fromApp = List.of();
                try {
                  fromApp =
                      grpcApp.isPresent() ? grpcApp.get().subscriptions() : http.subscriptions();
                } catch (IOException e) {
                  LOG.log(
                      System.Logger.Level.ERROR,
                      "cannot read the app's subscriptions: "
                          + e.getMessage()
                          + "; only the declared subscriptions start");
                }
                synchronized (appLock) {
                  if (closing.get()) {
                    return;
                  }
                  AppChannel channel = grpcApp.isPresent() ? grpcApp.get() : http;
                  AppChannel delivery =
                      appMaxConcurrency > 0
                          ? new ConcurrencyLimitedAppChannel(channel, appMaxConcurrency)
                          : channel;
                  appSubscriptions.addAll(runtime.startSubscriptions(delivery, fromApp, appHealth));
                }
                readiness.markReady();
                LOG.log(
                    System.Logger.Level.INFO,
                    "delivering "
                        + runtime.activeSubscriptions().size()
                        + " subscription(s) to the app on port "
                        + port);
              } catch (IOException e) {
                LOG.log(
                    System.Logger.Level.ERROR,
                    "cannot start the app's subscriptions: " + e.getMessage());
              } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
              }
            },
            "pillion-app-connector");
    appConnector.setDaemon(true);
    appConnector.start();
  }

  /**
   * The bound HTTP port (useful when 0 asked for a free one).
   *
   * @return the port
   */
  public int httpPort() {
    return ((InetSocketAddress) httpChannel.localAddress()).getPort();
  }

  /**
   * The address the HTTP API is bound to.
   *
   * @return the bound socket address
   */
  public InetSocketAddress httpAddress() {
    return (InetSocketAddress) httpChannel.localAddress();
  }

  /**
   * The bound gRPC port.
   *
   * @return the port
   */
  public int grpcPort() {
    return grpcServer.getPort();
  }

  /**
   * Sets an attribute of the extended metadata, as an app's {@code PUT /v1.0/metadata/{key}} does;
   * the metadata API of both protocols lists it under {@code extended}.
   *
   * @param key the attribute (an empty key is ignored, as daprd does)
   * @param value its value
   * @throws DaprApiException when the extended metadata would pass its size limit
   */
  public void setMetadata(String key, String value) {
    api.context().metadata().put(key, value);
  }

  /**
   * The runtime served.
   *
   * @return the runtime
   */
  public Pillion runtime() {
    return runtime;
  }

  /**
   * Blocks until the server is closed (by {@link #close()}, {@code /v1.0/shutdown} or gRPC {@code
   * Shutdown}).
   *
   * @throws InterruptedException if interrupted while waiting
   */
  public void awaitShutdown() throws InterruptedException {
    stopped.await();
  }

  /**
   * Stops accepting calls, lets calls in flight finish (up to the grace period), then releases the
   * ports and, if so configured, closes the runtime.
   */
  @Override
  public void close() {
    if (!closing.compareAndSet(false, true)) {
      return;
    }
    long graceMillis = gracePeriod.toMillis();
    if (appConnector != null) {
      appConnector.interrupt();
    }
    synchronized (appLock) {
      appSubscriptions.forEach(Subscription::close);
      appSubscriptions.clear();
    }
    if (appHealthChecker != null) {
      appHealthChecker.close();
    }
    // Withdrawn from name resolution first, so no new caller picks this runtime while it stops.
    closeInvocationResources();
    if (internalEndpoint != null) {
      internalEndpoint.close(gracePeriod);
    }
    if (httpChannel != null) {
      httpChannel.close().awaitUninterruptibly(graceMillis);
    }
    if (grpcServer != null) {
      grpcServer.shutdown();
      try {
        if (!grpcServer.awaitTermination(graceMillis, TimeUnit.MILLISECONDS)) {
          grpcServer.shutdownNow();
        }
      } catch (InterruptedException e) {
        grpcServer.shutdownNow();
        Thread.currentThread().interrupt();
      }
    }
    // Calls into blocking components finish before the event loops stop, so their answers are
    // written.
    blockingExecutor.close(Duration.ofMillis(graceMillis));
    if (workers != null) {
      // Quiet period 0: connections already closed; in-flight HTTP handlers finish within the
      // timeout.
      workers
          .shutdownGracefully(0, graceMillis, TimeUnit.MILLISECONDS)
          .awaitUninterruptibly(graceMillis + 1000);
      boss.shutdownGracefully(0, graceMillis, TimeUnit.MILLISECONDS)
          .awaitUninterruptibly(graceMillis + 1000);
    }
    if (closeRuntime) {
      runtime.close();
    }
    for (AutoCloseable resource : closeAlso) {
      try {
        resource.close();
      } catch (Exception e) {
        LOG.log(System.Logger.Level.WARNING, "closing " + resource + " failed", e);
      }
    }
    LOG.log(System.Logger.Level.INFO, "Dapr API for app '" + runtime.appId() + "' stopped");
    stopped.countDown();
  }

  /** Closes what service invocation opened, last opened first. */
  private void closeInvocationResources() {
    for (int i = invocationResources.size() - 1; i >= 0; i--) {
      try {
        invocationResources.get(i).close();
      } catch (Exception e) {
        LOG.log(System.Logger.Level.WARNING, "closing service invocation: " + e, e);
      }
    }
    invocationResources.clear();
  }

  /** Builds a {@link PillionServer}. */
  public static final class Builder {
    private Pillion runtime;
    private String bindAddress = "127.0.0.1";
    private int httpPort = 3500;
    private int grpcPort = 50001;
    private Optional<String> apiToken = Optional.empty();
    private int maxBodyBytes = HttpLimits.DEFAULT.maxBodyBytes();
    private int readBufferBytes = HttpLimits.DEFAULT.readBufferBytes();
    private Duration readTimeout = HttpLimits.DEFAULT.readTimeout();
    private Duration idleTimeout = HttpLimits.DEFAULT.idleTimeout();
    private int maxConnections = defaultMaxConnections();
    private Duration gracePeriod = Duration.ofSeconds(5);
    private boolean closeRuntime;
    private final List<AutoCloseable> closeAlso = new ArrayList<>();
    private Optional<Integer> appPort = Optional.empty();
    private AppProtocol appProtocol = AppProtocol.HTTP;
    private int appMaxConcurrency;
    private boolean appHealthCheck;
    private String appHealthCheckPath = AppHealthChecker.DEFAULT_PATH;
    private Duration appHealthProbeInterval = AppHealthChecker.DEFAULT_INTERVAL;
    private Duration appHealthProbeTimeout = AppHealthChecker.DEFAULT_TIMEOUT;
    private int appHealthThreshold = AppHealthChecker.DEFAULT_THRESHOLD;
    private boolean apiLogging;
    private BlockingCalls blockingCalls = BlockingCalls.defaults();
    private final List<ApiModule.Factory> extraModules = new ArrayList<>();
    private int internalGrpcPort;
    private NameResolvers nameResolvers = NameResolvers.builtIn();

    private Builder() {}

    /**
     * Sets the port of the internal invocation endpoint other runtimes call, like daprd's {@code
     * --dapr-internal-grpc-port} (default 0: a free one, announced through name resolution).
     *
     * @param port the port
     * @return this builder
     */
    public Builder internalGrpcPort(int port) {
      this.internalGrpcPort = checkPort(port);
      return this;
    }

    /**
     * The name resolvers {@code spec.nameResolution.component} chooses from ({@link
     * NameResolvers#builtIn()} by default).
     *
     * @param resolvers the resolvers
     * @return this builder
     */
    public Builder nameResolvers(NameResolvers resolvers) {
      this.nameResolvers = Objects.requireNonNull(resolvers, "resolvers");
      return this;
    }

    /**
     * The size of the executor that calls into blocking components run on instead of the thread
     * that received the request ({@link BlockingCalls#defaults()} by default). Which components are
     * blocking the runtime reports ({@link Pillion.LoadedComponent#blocking()}).
     *
     * @param calls the setting
     * @return this builder
     */
    public Builder blockingCalls(BlockingCalls calls) {
      this.blockingCalls = Objects.requireNonNull(calls, "calls");
      return this;
    }

    /**
     * Serves an API module besides the building blocks' (see {@link DaprApi}); its routes and
     * methods may not repeat theirs.
     *
     * @param factory creates the module when the server starts
     * @return this builder
     */
    public Builder apiModule(ApiModule.Factory factory) {
      this.extraModules.add(Objects.requireNonNull(factory, "factory"));
      return this;
    }

    /**
     * Limits how many calls Pillion makes into the app at once (event deliveries of all its
     * subscriptions together), like daprd's {@code --app-max-concurrency}; unlimited by default. A
     * delivery beyond the limit waits for a call to finish.
     *
     * @param calls the most concurrent calls, at least 1
     * @return this builder
     */
    public Builder appMaxConcurrency(int calls) {
      if (calls < 1) {
        throw new IllegalArgumentException(
            "the app's max concurrency must be at least 1, got " + calls);
      }
      this.appMaxConcurrency = calls;
      return this;
    }

    /**
     * Checks the app's health, like daprd's {@code --enable-app-health-check} (off by default;
     * needs {@link #appPort(int)}): the app is probed every {@link
     * #appHealthProbeInterval(Duration)}, is unhealthy after {@link #appHealthThreshold(int)}
     * consecutive failed probes and healthy again after one success. While it is unhealthy its
     * subscriptions pause (messages stay in the broker) and invocations of it fail at once with
     * daprd's {@code app is not in a healthy state}; it is unhealthy until its first probe
     * succeeds, as in daprd.
     *
     * @param enabled whether to check the app's health
     * @return this builder
     */
    public Builder appHealthCheck(boolean enabled) {
      this.appHealthCheck = enabled;
      return this;
    }

    /**
     * Sets the path the health probe GETs, like daprd's {@code --app-health-check-path}; a 2xx
     * answer is healthy. Default {@code /healthz}.
     *
     * @param path a path starting with {@code /}
     * @return this builder
     */
    public Builder appHealthCheckPath(String path) {
      Objects.requireNonNull(path, "app health check path");
      if (!path.startsWith("/")) {
        throw new IllegalArgumentException(
            "app health check path must start with '/', got '" + path + "'");
      }
      this.appHealthCheckPath = path;
      return this;
    }

    /**
     * Sets the time between health probes, like daprd's {@code --app-health-probe-interval}.
     * Default 5 s.
     *
     * @param interval a positive duration
     * @return this builder
     */
    public Builder appHealthProbeInterval(Duration interval) {
      this.appHealthProbeInterval = positive(interval, "app health probe interval");
      return this;
    }

    /**
     * Sets how long a health probe may take before it fails, like daprd's {@code
     * --app-health-probe-timeout}. Default 500 ms.
     *
     * @param timeout a positive duration
     * @return this builder
     */
    public Builder appHealthProbeTimeout(Duration timeout) {
      this.appHealthProbeTimeout = positive(timeout, "app health probe timeout");
      return this;
    }

    /**
     * Sets how many consecutive failed probes make the app unhealthy, like daprd's {@code
     * --app-health-threshold}. Default 3.
     *
     * @param threshold 1 or more
     * @return this builder
     */
    public Builder appHealthThreshold(int threshold) {
      if (threshold < 1) {
        throw new IllegalArgumentException(
            "app health threshold must be at least 1, got " + threshold);
      }
      this.appHealthThreshold = threshold;
      return this;
    }

    private static Duration positive(Duration value, String what) {
      Objects.requireNonNull(value, what);
      if (value.isNegative() || value.isZero()) {
        throw new IllegalArgumentException(what + " must be positive, got " + value);
      }
      return value;
    }

    /**
     * Logs every call to the HTTP and gRPC APIs at INFO on the logger {@value ApiLog#LOGGER_NAME}:
     * method and path (or gRPC method), status and duration, like daprd's {@code
     * --enable-api-logging}. Off by default.
     *
     * @param enabled whether to log API calls
     * @return this builder
     */
    public Builder apiLogging(boolean enabled) {
      this.apiLogging = enabled;
      return this;
    }

    /**
     * The port the app listens on: its subscriptions ({@code /dapr/subscribe}, or {@code
     * ListTopicSubscriptions} for a gRPC app, see {@link #appProtocol}) are read as soon as it
     * accepts connections, and events are delivered to it in its protocol. Until its subscriptions
     * (and the declared ones) are started, {@code GET /v1.0/healthz} answers 500 {@code
     * ERR_HEALTH_NOT_READY}, as daprd does; {@code /v1.0/healthz/outbound} is healthy at once.
     *
     * @param port the app's port
     * @return this builder
     */
    public Builder appPort(int port) {
      if (port < 1 || port > 65535) {
        throw new IllegalArgumentException("app port must be 1..65535, got " + port);
      }
      this.appPort = Optional.of(port);
      return this;
    }

    /**
     * How the runtime talks to the app on {@link #appPort(int)}: {@link AppProtocol#HTTP} (the
     * default) or {@link AppProtocol#GRPC}, where the app serves Dapr's {@code AppCallback} and its
     * subscriptions come from {@code ListTopicSubscriptions}.
     *
     * @param protocol the app's protocol
     * @return this builder
     */
    public Builder appProtocol(AppProtocol protocol) {
      this.appProtocol = Objects.requireNonNull(protocol, "protocol");
      return this;
    }

    /**
     * Sets the runtime to serve (required).
     *
     * @param runtime the runtime
     * @return this builder
     */
    public Builder runtime(Pillion runtime) {
      this.runtime = Objects.requireNonNull(runtime);
      return this;
    }

    /**
     * Sets the address to bind; loopback by default.
     *
     * @param address e.g. {@code 0.0.0.0} to accept remote connections
     * @return this builder
     */
    public Builder bindAddress(String address) {
      this.bindAddress = Objects.requireNonNull(address);
      return this;
    }

    /**
     * Sets the HTTP port (default 3500; 0 picks a free one).
     *
     * @param port the port
     * @return this builder
     */
    public Builder httpPort(int port) {
      this.httpPort = checkPort(port);
      return this;
    }

    /**
     * Sets the gRPC port (default 50001; 0 picks a free one).
     *
     * @param port the port
     * @return this builder
     */
    public Builder grpcPort(int port) {
      this.grpcPort = checkPort(port);
      return this;
    }

    /**
     * Requires every call (but health checks) to carry this token, as daprd with {@code
     * DAPR_API_TOKEN}.
     *
     * @param token the token
     * @return this builder
     */
    public Builder apiToken(String token) {
      if (Objects.requireNonNull(token).isEmpty()) {
        throw new IllegalArgumentException("the API token must not be empty");
      }
      this.apiToken = Optional.of(token);
      return this;
    }

    /**
     * Sets the request size limit, like daprd's {@code --max-body-size} (default 4 MiB).
     *
     * @param bytes the limit
     * @return this builder
     */
    public Builder maxBodyBytes(int bytes) {
      if (bytes < 1) {
        throw new IllegalArgumentException("maxBodyBytes must be positive, got " + bytes);
      }
      this.maxBodyBytes = bytes;
      return this;
    }

    /**
     * Sets the read buffer size, like daprd's {@code --read-buffer-size} (default 4 KiB): the HTTP
     * request line and the request headers may each be up to this plus 4 KiB, as Go's HTTP server
     * (which daprd uses) allows. A longer request line is answered 414, larger headers 431.
     *
     * @param bytes the size
     * @return this builder
     */
    public Builder readBufferSize(int bytes) {
      if (bytes < 1 || bytes > Integer.MAX_VALUE / 2) {
        throw new IllegalArgumentException("the read buffer size must be positive, got " + bytes);
      }
      this.readBufferBytes = bytes;
      return this;
    }

    /**
     * Sets how long an HTTP request may take to arrive completely, from its first byte to the end
     * of its body (default 60 s). A request still incomplete then is answered 408 and its
     * connection closed, so a client that stops sending cannot hold a connection. Zero disables the
     * limit.
     *
     * @param timeout the timeout
     * @return this builder
     */
    public Builder readTimeout(Duration timeout) {
      this.readTimeout = nonNegative(timeout, "read timeout");
      return this;
    }

    /**
     * Sets how long an HTTP connection may stay open with no request in progress (default 5
     * minutes); then it is closed. Zero disables the limit.
     *
     * @param timeout the timeout
     * @return this builder
     */
    public Builder idleTimeout(Duration timeout) {
      this.idleTimeout = nonNegative(timeout, "idle timeout");
      return this;
    }

    /**
     * Caps the connections open at once on the HTTP port (default 4096, or half the process's file
     * descriptor limit when that is lower). A connection past the cap is closed as soon as it is
     * accepted; the open ones keep working. Zero removes the cap.
     *
     * @param connections the cap
     * @return this builder
     */
    public Builder maxConnections(int connections) {
      if (connections < 0) {
        throw new IllegalArgumentException(
            "maxConnections must not be negative, got " + connections);
      }
      this.maxConnections = connections;
      return this;
    }

    private static Duration nonNegative(Duration duration, String what) {
      if (Objects.requireNonNull(duration, what).isNegative()) {
        throw new IllegalArgumentException("the " + what + " must not be negative: " + duration);
      }
      return duration;
    }

    /**
     * Sets how long closing waits for calls in flight (default 5 s).
     *
     * @param grace the grace period
     * @return this builder
     */
    public Builder gracePeriod(Duration grace) {
      this.gracePeriod = Objects.requireNonNull(grace);
      return this;
    }

    /**
     * Closes the runtime when the server closes (for a server that owns its runtime, like the
     * CLI's).
     *
     * @param close true to close the runtime too
     * @return this builder
     */
    public Builder closeRuntime(boolean close) {
      this.closeRuntime = close;
      return this;
    }

    /**
     * Something else the server closes when it closes, after its runtime, in the order given (the
     * Wasm app host and the runtime that loaded its apps' components, say).
     *
     * @param resource what to close
     * @return this builder
     */
    public Builder closeAlso(AutoCloseable resource) {
      this.closeAlso.add(Objects.requireNonNull(resource, "resource"));
      return this;
    }

    /**
     * 4096, or half the file descriptor limit of this process when that is lower, so a flood of
     * connections to the HTTP port leaves descriptors for the gRPC port, components and files.
     */
    static int defaultMaxConnections() {
      int cap = 4096;
      java.lang.management.OperatingSystemMXBean os =
          java.lang.management.ManagementFactory.getOperatingSystemMXBean();
      if (os instanceof com.sun.management.UnixOperatingSystemMXBean unix) {
        long limit = unix.getMaxFileDescriptorCount();
        if (limit > 0 && limit / 2 < cap) {
          cap = (int) Math.max(1, limit / 2);
        }
      }
      return cap;
    }

    private static int checkPort(int port) {
      if (port < 0 || port > 65535) {
        throw new IllegalArgumentException("port must be 0..65535, got " + port);
      }
      return port;
    }

    /**
     * Builds the server (not yet started).
     *
     * @return the server
     */
    public PillionServer build() {
      return new PillionServer(this);
    }
  }
}
