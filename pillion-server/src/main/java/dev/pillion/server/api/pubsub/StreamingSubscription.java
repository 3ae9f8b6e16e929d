package dev.pillion.server.api.pubsub;

import dev.pillion.Pillion;
import dev.pillion.pubsub.CloudEvents;
import dev.pillion.pubsub.DeliveryResult;
import dev.pillion.pubsub.Event;
import dev.pillion.pubsub.Subscription;
import dev.pillion.pubsub.SubscriptionOptions;
import dev.pillion.server.DaprApiError;
import dev.pillion.server.MetadataGateway;
import dev.pillion.server.grpc.GrpcAppChannel;
import dev.pillion.server.grpc.GrpcErrors;
import io.dapr.v1.DaprPubsubProtos;
import io.grpc.stub.StreamObserver;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

/**
 * One {@code SubscribeTopicEventsAlpha1} stream: the client's first message names the pub/sub and
 * topic; each event goes down the stream and the client's {@code event_processed} answer (SUCCESS,
 * RETRY, DROP) settles it. Events are handled one at a time, in order; an event the client does not
 * answer within the handler timeout is retried. The subscription ends with the stream.
 */
final class StreamingSubscription
    implements StreamObserver<DaprPubsubProtos.SubscribeTopicEventsRequestAlpha1> {
  private static final long ANSWER_TIMEOUT_SECONDS = 60;

  private final Pillion runtime;
  private final MetadataGateway metadata;
  private final StreamObserver<DaprPubsubProtos.SubscribeTopicEventsResponseAlpha1> responses;
  private final Map<String, CompletableFuture<DeliveryResult>> pending = new ConcurrentHashMap<>();
  private volatile Subscription subscription;
  private volatile Runnable unlist = () -> {};

  StreamingSubscription(
      Pillion runtime,
      MetadataGateway metadata,
      StreamObserver<DaprPubsubProtos.SubscribeTopicEventsResponseAlpha1> responses) {
    this.runtime = runtime;
    this.metadata = metadata;
    this.responses = responses;
  }

  @Override
  public void onNext(DaprPubsubProtos.SubscribeTopicEventsRequestAlpha1 request) {
    if (request.hasInitialRequest()) {
      if (subscription != null) {
        fail(DaprApiError.malformed("the stream already has an initial request"));
        return;
      }
      start(request.getInitialRequest());
    } else if (request.hasEventProcessed()) {
      CompletableFuture<DeliveryResult> answer =
          pending.remove(request.getEventProcessed().getId());
      if (answer != null) {
        answer.complete(
            switch (request.getEventProcessed().getStatus().getStatus()) {
              case SUCCESS -> DeliveryResult.SUCCESS;
              case DROP -> DeliveryResult.DROP;
              default -> DeliveryResult.RETRY;
            });
      }
    }
  }

  private void start(DaprPubsubProtos.SubscribeTopicEventsRequestInitialAlpha1 initial) {
    String pubsub = initial.getPubsubName();
    if (pubsub.isEmpty() || !runtime.pubsubNames().contains(pubsub)) {
      fail(DaprApiError.pubsubNotFound(pubsub, !runtime.pubsubNames().isEmpty()));
      return;
    }
    if (initial.getTopic().isEmpty()) {
      fail(DaprApiError.topicEmpty(pubsub));
      return;
    }
    SubscriptionOptions.Builder options =
        SubscriptionOptions.builder(initial.getTopic())
            .handlerTimeout(java.time.Duration.ofSeconds(ANSWER_TIMEOUT_SECONDS + 5));
    try {
      // As daprd: the stream's metadata is the subscription's, rawPayload included.
      options.rawPayload(CloudEvents.rawPayloadSetting(initial.getMetadataMap()));
    } catch (IllegalArgumentException e) {
      fail(DaprApiError.malformed("metadata." + e.getMessage()));
      return;
    }
    if (initial.hasDeadLetterTopic() && !initial.getDeadLetterTopic().isEmpty()) {
      options.deadLetterTopic(initial.getDeadLetterTopic());
    }
    subscription = runtime.pubsub(pubsub).subscribe(options.build(), this::deliver);
    unlist =
        metadata.streamingSubscription(pubsub, initial.getTopic(), initial.getDeadLetterTopic());
    send(
        DaprPubsubProtos.SubscribeTopicEventsResponseAlpha1.newBuilder()
            .setInitialResponse(
                DaprPubsubProtos.SubscribeTopicEventsResponseInitialAlpha1.getDefaultInstance())
            .build());
  }

  private DeliveryResult deliver(Event event) throws Exception {
    CompletableFuture<DeliveryResult> answer = new CompletableFuture<>();
    pending.put(event.id(), answer);
    send(
        DaprPubsubProtos.SubscribeTopicEventsResponseAlpha1.newBuilder()
            .setEventMessage(
                // The fields and extensions an app's OnTopicEvent gets, as daprd's streamer
                // sends them; a stream has no route.
                GrpcAppChannel.topicEvent("", event))
            .build());
    try {
      return answer.get(ANSWER_TIMEOUT_SECONDS, TimeUnit.SECONDS);
    } catch (TimeoutException e) {
      pending.remove(event.id());
      return DeliveryResult.RETRY;
    }
  }

  private void send(DaprPubsubProtos.SubscribeTopicEventsResponseAlpha1 response) {
    synchronized (responses) {
      responses.onNext(response);
    }
  }

  private void fail(DaprApiError error) {
    synchronized (responses) {
      responses.onError(GrpcErrors.toStatus(error));
    }
    stop();
  }

  private void stop() {
    unlist.run();
    Subscription running = subscription;
    if (running != null) {
      // Closing waits for the handler in progress; it is waiting for an answer that will not come,
      // so fail it first.
      pending.values().forEach(answer -> answer.complete(DeliveryResult.RETRY));
      new Thread(running::close, "pillion-stream-close").start();
    }
  }

  @Override
  public void onError(Throwable t) {
    stop();
  }

  @Override
  public void onCompleted() {
    stop();
    synchronized (responses) {
      responses.onCompleted();
    }
  }
}
