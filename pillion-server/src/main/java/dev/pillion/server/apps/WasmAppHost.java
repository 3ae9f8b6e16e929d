package dev.pillion.server.apps;

import dev.pillion.Pillion;
import dev.pillion.config.ComponentYaml;
import dev.pillion.config.ResourceDocument;
import dev.pillion.server.apps.http.AppHttpServer;
import dev.pillion.wasm.WasmHost;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.nio.NioEventLoopGroup;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.OptionalInt;
import java.util.Set;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.ThreadFactory;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * Hosts Wasm apps in a runtime (docs/abi.md, "Wasm apps"): loads each app's module, gives it its
 * view of the runtime's components, serves its HTTP routes and runs its subscriptions. The apps
 * share one Wasm host (compiled code is cached by module), one pool of handler threads and one
 * event loop for their HTTP ports.
 *
 * <pre>{@code
 * List<AppManifest> apps = WasmAppHost.manifests(resources);
 * try (Pillion runtime = Pillion.builder().resourcesPath(folder).hostedApps(WasmAppHost.appIds(apps)).build();
 *     WasmAppHost host = WasmAppHost.start(runtime, apps, "127.0.0.1")) {
 *   ...
 * }
 * }</pre>
 */
public final class WasmAppHost implements AutoCloseable {
  private static final System.Logger LOG = System.getLogger(WasmAppHost.class.getName());

  private final WasmHost wasm;
  private final ThreadPoolExecutor handlers;
  private final EventLoopGroup httpLoop;
  private final Map<String, WasmApp> apps = new LinkedHashMap<>();
  private final Map<String, AppHttpServer> servers = new LinkedHashMap<>();

  private WasmAppHost(int handlerThreads) {
    this.wasm = WasmHost.create();
    this.handlers =
        new ThreadPoolExecutor(
            handlerThreads,
            handlerThreads,
            30,
            TimeUnit.SECONDS,
            new LinkedBlockingQueue<>(),
            daemonThreads("pillion-app-handler-"));
    this.handlers.allowCoreThreadTimeOut(true);
    this.httpLoop = new NioEventLoopGroup(1, daemonThreads("pillion-app-http-"));
  }

  private static ThreadFactory daemonThreads(String prefix) {
    AtomicInteger count = new AtomicInteger();
    return runnable -> {
      Thread thread = new Thread(runnable, prefix + count.incrementAndGet());
      thread.setDaemon(true);
      return thread;
    };
  }

  /**
   * The apps the resources declare ({@code kind: App}).
   *
   * @param documents the resource documents, e.g. {@code
   *     ComponentYaml.loadResources(folder).documents()}
   * @return the manifests, in order
   * @throws dev.pillion.config.ComponentConfigException when a manifest is invalid, or two name the
   *     same app id
   */
  public static List<AppManifest> manifests(List<ResourceDocument> documents) {
    List<AppManifest> manifests = new ArrayList<>();
    Set<String> ids = new HashSet<>();
    for (ResourceDocument document : documents) {
      if (ComponentYaml.APP.equals(document.kind())) {
        AppManifest manifest = AppManifest.read(document);
        if (!ids.add(manifest.appId())) {
          throw new dev.pillion.config.ComponentConfigException(
              document.where() + ": app id '" + manifest.appId() + "' is declared twice");
        }
        manifests.add(manifest);
      }
    }
    return manifests;
  }

  /**
   * The apps a resources folder declares.
   *
   * @param folder the resources folder
   * @return the manifests
   */
  public static List<AppManifest> manifests(Path folder) {
    return manifests(ComponentYaml.create().loadResources(folder).documents());
  }

  /**
   * The ids of apps, for {@link Pillion.Builder#hostedApps}.
   *
   * @param manifests the apps
   * @return their ids
   */
  public static List<String> appIds(List<AppManifest> manifests) {
    return manifests.stream().map(AppManifest::appId).toList();
  }

  /**
   * Loads and starts apps. On failure, the apps started so far are stopped again.
   *
   * @param runtime the runtime that hosts them, built with their ids as {@linkplain
   *     Pillion.Builder#hostedApps hosted apps}
   * @param manifests the apps
   * @param bindAddress the address their HTTP ports listen on
   * @return the host
   * @throws dev.pillion.wasm.ComponentLoadException naming the app whose module cannot be loaded
   * @throws IllegalStateException when an HTTP port cannot be bound
   */
  public static WasmAppHost start(
      Pillion runtime, List<AppManifest> manifests, String bindAddress) {
    Objects.requireNonNull(runtime, "runtime");
    Objects.requireNonNull(bindAddress, "bindAddress");
    int threads =
        Math.max(4, Math.min(256, manifests.stream().mapToInt(AppManifest::instances).sum()));
    WasmAppHost host = new WasmAppHost(threads);
    try {
      for (AppManifest manifest : manifests) {
        host.add(runtime, manifest, bindAddress);
      }
    } catch (RuntimeException e) {
      host.close();
      throw e;
    }
    return host;
  }

  private void add(Pillion runtime, AppManifest manifest, String bindAddress) {
    WasmApp app = WasmApp.start(manifest, runtime, wasm, handlers);
    apps.put(manifest.appId(), app);
    OptionalInt port = manifest.httpPort();
    if (port.isPresent()) {
      try {
        AppHttpServer server =
            AppHttpServer.start(
                manifest.appId(),
                app::handle,
                bindAddress,
                port.getAsInt(),
                manifest.maxMessageBytes(),
                httpLoop,
                handlers);
        servers.put(manifest.appId(), server);
        LOG.log(
            System.Logger.Level.INFO,
            "app '" + manifest.appId() + "' serves HTTP on " + bindAddress + ":" + server.port());
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        throw new IllegalStateException("interrupted while binding the port of " + manifest, e);
      } catch (RuntimeException e) {
        throw new IllegalStateException(
            "cannot serve " + manifest + " on " + bindAddress + ":" + port.getAsInt() + ": " + e,
            e);
      }
    }
  }

  /**
   * The hosted apps, in start order.
   *
   * @return the apps
   */
  public List<WasmApp> apps() {
    return List.copyOf(apps.values());
  }

  /**
   * A hosted app.
   *
   * @param appId its id
   * @return the app, when hosted
   */
  public Optional<WasmApp> app(String appId) {
    return Optional.ofNullable(apps.get(appId));
  }

  /**
   * The port an app's HTTP routes are served on.
   *
   * @param appId the app's id
   * @return the bound port, when the app has one
   */
  public OptionalInt httpPort(String appId) {
    AppHttpServer server = servers.get(appId);
    return server == null ? OptionalInt.empty() : OptionalInt.of(server.port());
  }

  /**
   * The ids of the hosted apps, for the metadata API.
   *
   * @return the ids, in start order
   */
  public List<String> appIds() {
    return Collections.unmodifiableList(new ArrayList<>(apps.keySet()));
  }

  /** Stops the HTTP servers, then the apps, then the threads and the Wasm host. */
  @Override
  public void close() {
    List<String> ids = new ArrayList<>(servers.keySet());
    Collections.reverse(ids);
    for (String id : ids) {
      servers.get(id).close();
    }
    List<WasmApp> started = new ArrayList<>(apps.values());
    Collections.reverse(started);
    for (WasmApp app : started) {
      try {
        app.close();
      } catch (RuntimeException e) {
        LOG.log(System.Logger.Level.WARNING, "stopping " + app + " failed", e);
      }
    }
    httpLoop.shutdownGracefully(0, 1, TimeUnit.SECONDS).syncUninterruptibly();
    handlers.shutdownNow();
    wasm.close();
  }
}
