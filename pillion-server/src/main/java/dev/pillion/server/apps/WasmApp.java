package dev.pillion.server.apps;

import com.google.protobuf.InvalidProtocolBufferException;
import dev.pillion.Pillion;
import dev.pillion.abi.AppContract;
import dev.pillion.invoke.AppUnreachableException;
import dev.pillion.invoke.InvocationRequest;
import dev.pillion.invoke.InvocationResponse;
import dev.pillion.pubsub.DeliveryResult;
import dev.pillion.pubsub.Event;
import dev.pillion.pubsub.Subscription;
import dev.pillion.pubsub.SubscriptionDefinition;
import dev.pillion.server.DaprApi;
import dev.pillion.server.grpc.GrpcAppChannel;
import dev.pillion.server.internals.v1.ServiceInvocationProtos.InternalInvokeRequest;
import dev.pillion.server.internals.v1.ServiceInvocationProtos.InternalInvokeResponse;
import dev.pillion.server.invoke.InternalMessages;
import dev.pillion.wasm.ComponentCallException;
import dev.pillion.wasm.ComponentLimits;
import dev.pillion.wasm.ComponentSpec;
import dev.pillion.wasm.GuestErrorException;
import dev.pillion.wasm.InstanceModel;
import dev.pillion.wasm.ModuleSource;
import dev.pillion.wasm.WasmComponent;
import dev.pillion.wasm.WasmHost;
import io.dapr.v1.DaprAppCallbackProtos.ListTopicSubscriptionsResponse;
import io.dapr.v1.DaprAppCallbackProtos.TopicEventResponse;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.Executor;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * One hosted Wasm app: its module (a pool of instances), its view of the runtime ({@link
 * Pillion#forApp}: its scope, key prefix and invocation service), its Dapr imports (the gRPC API of
 * that view, called in-process) and its triggers: invocations by app id and its subscriptions.
 * Handlers run on the host's worker threads, never on an I/O thread: an import may wait on a
 * component or another app.
 */
public final class WasmApp implements AutoCloseable {
  private static final System.Logger LOG = System.getLogger(WasmApp.class.getName());

  private final AppManifest manifest;
  private final Pillion runtime;
  private final WasmComponent module;
  private final Executor handlers;
  private final List<AutoCloseable> resources = new ArrayList<>();
  private final AtomicBoolean warnedNoEventHandler = new AtomicBoolean();

  private WasmApp(AppManifest manifest, Pillion runtime, WasmComponent module, Executor handlers) {
    this.manifest = manifest;
    this.runtime = runtime;
    this.module = module;
    this.handlers = handlers;
  }

  /**
   * Loads an app and starts its triggers.
   *
   * @param manifest the app
   * @param host the runtime that hosts it (it must have been built with the app's id among its
   *     {@linkplain Pillion.Builder#hostedApps hosted apps})
   * @param wasm the Wasm host that runs its module
   * @param handlers the threads its handlers run on
   * @return the running app
   * @throws dev.pillion.wasm.ComponentLoadException when the module cannot be loaded (invalid, an
   *     import not granted, a required export missing)
   */
  static WasmApp start(AppManifest manifest, Pillion host, WasmHost wasm, Executor handlers) {
    Pillion runtime = host.forApp(manifest.appId());
    WasmComponent module = null;
    try {
      DaprApi api = DaprApi.builder().runtime(runtime).build();
      ComponentSpec.Builder spec =
          ComponentSpec.builder()
              .name(manifest.appId())
              .contract(AppContract.CONTRACT)
              .source(ModuleSource.file(manifest.module()))
              .instanceModel(InstanceModel.POOLED)
              .limits(
                  ComponentLimits.builder()
                      .poolSize(manifest.instances())
                      .callTimeout(manifest.callTimeout())
                      .idleTimeout(manifest.idleTimeout())
                      .maxMemoryPages(manifest.maxMemoryPages())
                      .maxMessageBytes(manifest.maxMessageBytes())
                      .build())
              .grant(
                  new DaprImports(new DirectGrpcCalls(api.grpcService()), manifest.callTimeout()));
      manifest.environment().forEach(spec::environmentVariable);
      module = wasm.load(spec.build());
      WasmApp app = new WasmApp(manifest, runtime, module, handlers);
      app.resources.add(runtime.invocation().connectApp(app::invoke));
      List<Subscription> running = runtime.startSubscriptions(app::deliver, app.subscriptions());
      running.forEach(subscription -> app.resources.add(subscription::close));
      LOG.log(
          System.Logger.Level.INFO,
          "hosting "
              + manifest
              + " ("
              + running.size()
              + " subscriptions, loaded in "
              + module.loadTime().toMillis()
              + " ms)");
      return app;
    } catch (RuntimeException e) {
      if (module != null) {
        module.close();
      }
      runtime.close();
      throw e;
    }
  }

  /**
   * The app's id.
   *
   * @return the id
   */
  public String appId() {
    return manifest.appId();
  }

  /**
   * The app's manifest.
   *
   * @return the manifest
   */
  public AppManifest manifest() {
    return manifest;
  }

  /**
   * The app's view of the runtime.
   *
   * @return its runtime
   */
  public Pillion runtime() {
    return runtime;
  }

  /**
   * Live instances of the app's module (for metadata and tests).
   *
   * @return the count
   */
  public int liveInstances() {
    return module.liveInstances();
  }

  /**
   * Instances discarded after a trap, a timeout or a memory fault.
   *
   * @return the count
   */
  public int discardedInstances() {
    return module.discardedInstances();
  }

  private List<SubscriptionDefinition> subscriptions() {
    if (!module.hasMethod(AppContract.LIST_TOPIC_SUBSCRIPTIONS)) {
      return List.of();
    }
    try {
      byte[] answer = module.call(AppContract.LIST_TOPIC_SUBSCRIPTIONS, new byte[0]);
      return GrpcAppChannel.parse(ListTopicSubscriptionsResponse.parseFrom(answer));
    } catch (InvalidProtocolBufferException e) {
      throw new ComponentCallException(
          appId(),
          AppContract.LIST_TOPIC_SUBSCRIPTIONS,
          "answered a malformed ListTopicSubscriptionsResponse: " + e.getMessage(),
          e);
    }
  }

  /** An invocation of the app (by app id, in-process or from another runtime), on a worker. */
  private CompletionStage<InvocationResponse> invoke(InvocationRequest request) {
    return CompletableFuture.supplyAsync(
        () -> {
          InternalInvokeResponse answer = handle(InternalMessages.toInternal(request));
          if (answer.getStatus().getCode() == 0) {
            // An app that sets no status answered 200, as over its HTTP port (AppHttpServer).
            answer =
                answer.toBuilder().setStatus(answer.getStatus().toBuilder().setCode(200)).build();
          }
          try {
            return InternalMessages.fromInternal(answer);
          } catch (IllegalArgumentException e) {
            throw new AppUnreachableException(
                appId(), "app '" + appId() + "' answered an invalid response: " + e.getMessage());
          }
        },
        handlers);
  }

  /**
   * Runs the app's {@code app_on_invoke} on the calling thread.
   *
   * @param request the request
   * @return the app's answer; status 0 when the app set none, which reads as 200
   * @throws AppUnreachableException when the handler fails (an error it returns, a trap, a timeout,
   *     a memory fault) or answers something that is not an {@code InternalInvokeResponse}
   */
  InternalInvokeResponse handle(InternalInvokeRequest request) {
    byte[] answer;
    try {
      answer = module.call(AppContract.ON_INVOKE, request.toByteArray());
    } catch (GuestErrorException e) {
      throw new AppUnreachableException(
          appId(), "app '" + appId() + "' failed: " + AppStatus.describe(e.bytes()), e);
    } catch (ComponentCallException e) {
      throw new AppUnreachableException(
          appId(), "app '" + appId() + "' failed: " + e.getMessage(), e);
    }
    InternalInvokeResponse response;
    try {
      response = InternalInvokeResponse.parseFrom(answer);
    } catch (InvalidProtocolBufferException e) {
      throw new AppUnreachableException(
          appId(),
          "app '" + appId() + "' answered a malformed InternalInvokeResponse: " + e.getMessage());
    }
    return response;
  }

  /** Delivers an event to {@code app_on_topic_event}; a failure is a retry, as in daprd. */
  private DeliveryResult deliver(String route, Event event) {
    if (!module.hasMethod(AppContract.ON_TOPIC_EVENT)) {
      if (warnedNoEventHandler.compareAndSet(false, true)) {
        LOG.log(
            System.Logger.Level.WARNING,
            "app '"
                + appId()
                + "' has subscriptions but exports no app_on_topic_event: events are dropped");
      }
      return DeliveryResult.DROP;
    }
    try {
      byte[] answer =
          module.call(
              AppContract.ON_TOPIC_EVENT, GrpcAppChannel.topicEvent(route, event).toByteArray());
      return GrpcAppChannel.result(TopicEventResponse.parseFrom(answer).getStatus());
    } catch (GuestErrorException e) {
      LOG.log(
          System.Logger.Level.INFO,
          "app '"
              + appId()
              + "' failed event "
              + event.id()
              + ": "
              + AppStatus.describe(e.bytes()));
      return DeliveryResult.RETRY;
    } catch (ComponentCallException | InvalidProtocolBufferException e) {
      LOG.log(
          System.Logger.Level.INFO,
          "app '" + appId() + "' failed event " + event.id() + ": " + e.getMessage());
      return DeliveryResult.RETRY;
    }
  }

  /** Stops the app's triggers, withdraws it from invocation and unloads its module. */
  @Override
  public void close() {
    for (int i = resources.size() - 1; i >= 0; i--) {
      try {
        resources.get(i).close();
      } catch (Exception e) {
        LOG.log(System.Logger.Level.WARNING, "stopping app '" + appId() + "' failed", e);
      }
    }
    module.close();
    runtime.close();
  }

  @Override
  public String toString() {
    return Objects.toString(manifest);
  }
}
