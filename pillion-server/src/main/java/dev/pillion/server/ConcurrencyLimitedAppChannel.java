package dev.pillion.server;

import dev.pillion.pubsub.AppChannel;
import dev.pillion.pubsub.BulkEntry;
import dev.pillion.pubsub.DeliveryResult;
import dev.pillion.pubsub.Event;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Semaphore;

/**
 * An app channel that lets at most a given number of calls into the app at once, across all of its
 * subscriptions, like daprd's {@code --app-max-concurrency}. Each subscription delivers on its own
 * threads, so without it an app with many subscriptions gets as many concurrent calls. A delivery
 * waits for a free slot in turn (fair, so no subscription starves another); the wait counts against
 * the subscription's handler timeout, which interrupts it and retries the event later.
 */
final class ConcurrencyLimitedAppChannel implements AppChannel {
  private final AppChannel channel;
  private final Semaphore slots;

  ConcurrencyLimitedAppChannel(AppChannel channel, int maxConcurrency) {
    if (maxConcurrency < 1) {
      throw new IllegalArgumentException(
          "the app's max concurrency must be at least 1, got " + maxConcurrency);
    }
    this.channel = channel;
    this.slots = new Semaphore(maxConcurrency, true);
  }

  @Override
  public DeliveryResult deliver(String route, Event event) throws Exception {
    slots.acquire();
    try {
      return channel.deliver(route, event);
    } finally {
      slots.release();
    }
  }

  /** A bulk batch is one call into the app (one POST over HTTP), so it takes one slot. */
  @Override
  public Map<String, DeliveryResult> deliverBulk(String route, List<BulkEntry> entries)
      throws Exception {
    slots.acquire();
    try {
      return channel.deliverBulk(route, entries);
    } finally {
      slots.release();
    }
  }
}
