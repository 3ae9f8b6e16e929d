package dev.pillion.benchmarks;

import dev.pillion.Pillion;
import dev.pillion.config.ComponentDefinition;
import dev.pillion.pubsub.DeliveryResult;
import dev.pillion.pubsub.PublishRequest;
import dev.pillion.pubsub.Subscription;
import dev.pillion.pubsub.SubscriptionOptions;
import dev.pillion.testing.RedisServerFixture;
import io.lettuce.core.Limit;
import io.lettuce.core.Range;
import io.lettuce.core.RedisClient;
import io.lettuce.core.RedisURI;
import io.lettuce.core.StreamMessage;
import io.lettuce.core.api.StatefulRedisConnection;
import io.lettuce.core.api.sync.RedisCommands;
import io.lettuce.core.codec.StringCodec;
import java.io.BufferedReader;
import java.io.FileDescriptor;
import java.io.FileOutputStream;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.OutputStreamWriter;
import java.io.PrintStream;
import java.io.Writer;
import java.lang.management.ManagementFactory;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;

/**
 * Delivered throughput of {@code pubsub.redis}, 1 KB events, on a redis-server it starts: a burst
 * is published to a fresh topic first, then the subscriptions start, and the clock runs from their
 * start until Redis reports the whole burst read by the consumer group and acknowledged (the
 * group's last delivered id is the stream's last, and nothing is pending). Measured with one
 * runtime, with two runtimes in this JVM, and with this runtime and one in a second JVM (this
 * class's {@link #main} as a peer), all of one app, so one consumer group; each after an unmeasured
 * burst of the same size.
 */
public final class RedisPubSubThroughput {
  private static final String APP_ID = "bench";
  private static final int PUBLISHERS = 4;
  private static final Duration LIMIT = Duration.ofMinutes(5);

  private RedisPubSubThroughput() {}

  private static Pillion runtime(String redisAddress) {
    return Pillion.builder()
        .appId(APP_ID)
        .component(
            ComponentDefinition.builder("pubsub", "pubsub.redis")
                .metadata("redisHost", redisAddress)
                .build())
        .build();
  }

  /** A subscription whose handler does nothing: what is measured is the delivery. */
  private static Subscription subscribe(Pillion runtime, String topic, int concurrency) {
    return runtime
        .pubsub("pubsub")
        .subscribe(
            SubscriptionOptions.builder(topic).concurrency(concurrency).build(),
            event -> DeliveryResult.SUCCESS);
  }

  /** What the second runtime is: none, another in this JVM, or one in a JVM of its own. */
  private enum Shape {
    ONE_RUNTIME("1 runtime"),
    TWO_IN_ONE_JVM("2 runtimes, one JVM"),
    TWO_JVMS("2 runtimes, two JVMs");

    private final String label;

    Shape(String label) {
      this.label = label;
    }
  }

  /** A runtime in a second JVM, subscribing and unsubscribing when told on its standard input. */
  private static final class Peer implements AutoCloseable {
    private final Process process;
    private final Writer input;
    private final BufferedReader output;

    Peer(String redisAddress) throws IOException {
      List<String> command =
          List.of(
              Path.of(System.getProperty("java.home"), "bin", "java").toString(),
              "-cp",
              System.getProperty("java.class.path"),
              RedisPubSubThroughput.class.getName(),
              redisAddress);
      process = new ProcessBuilder(command).redirectError(ProcessBuilder.Redirect.DISCARD).start();
      input = new OutputStreamWriter(process.getOutputStream(), StandardCharsets.UTF_8);
      output =
          new BufferedReader(
              new InputStreamReader(process.getInputStream(), StandardCharsets.UTF_8));
      expect("ready");
    }

    /** Sends a command and waits for the peer's answer. */
    void tell(String command, String answer) throws IOException {
      input.write(command + "\n");
      input.flush();
      expect(answer);
    }

    private void expect(String answer) throws IOException {
      String line = output.readLine();
      if (!answer.equals(line)) {
        throw new IllegalStateException("the peer JVM answered " + line + ", not " + answer);
      }
    }

    @Override
    public void close() throws InterruptedException {
      process.destroyForcibly();
      process.waitFor(30, TimeUnit.SECONDS);
    }
  }

  /**
   * The peer JVM: builds a runtime on the Redis given as the only argument, prints {@code ready},
   * then follows its standard input: {@code subscribe <topic> <concurrency>} (answers {@code
   * subscribed}), {@code close} (closes that subscription, answers {@code closed}); exits when the
   * input ends.
   *
   * @param args the Redis address
   * @throws Exception on failure
   */
  public static void main(String[] args) throws Exception {
    PrintStream out =
        new PrintStream(new FileOutputStream(FileDescriptor.out), true, StandardCharsets.UTF_8);
    BufferedReader commands =
        new BufferedReader(new InputStreamReader(System.in, StandardCharsets.UTF_8));
    try (Pillion runtime = runtime(args[0])) {
      out.println("ready");
      Subscription subscription = null;
      for (String line = commands.readLine(); line != null; line = commands.readLine()) {
        String[] words = line.split(" ");
        if (words[0].equals("subscribe")) {
          subscription = subscribe(runtime, words[1], Integer.parseInt(words[2]));
          out.println("subscribed");
        } else if (words[0].equals("close") && subscription != null) {
          subscription.close();
          subscription = null;
          out.println("closed");
        } else {
          throw new IllegalArgumentException("unknown command: " + line);
        }
      }
    }
    System.exit(0);
  }

  /** Redis's view of a consumer group: whether it has read the whole stream and acked it all. */
  private static boolean groupDone(RedisCommands<String, String> redis, String topic, String last) {
    for (Object group : redis.xinfoGroups(topic)) {
      List<?> fields = (List<?>) group;
      String name = null;
      long pending = -1;
      String lastDelivered = null;
      for (int i = 0; i + 1 < fields.size(); i += 2) {
        switch (String.valueOf(fields.get(i))) {
          case "name" -> name = String.valueOf(fields.get(i + 1));
          case "pending" -> pending = (Long) fields.get(i + 1);
          case "last-delivered-id" -> lastDelivered = String.valueOf(fields.get(i + 1));
          default -> {
            // Other fields (consumers, entries-read, lag) do not decide.
          }
        }
      }
      if (APP_ID.equals(name)) {
        return pending == 0 && last.equals(lastDelivered);
      }
    }
    return false;
  }

  private record Burst(double publishRate, double deliveredRate, double cpuMicrosPerEvent) {}

  private static Burst burst(
      Shape shape,
      Pillion first,
      Pillion second,
      Peer peer,
      RedisCommands<String, String> redis,
      String topic,
      int events,
      int concurrency)
      throws Exception {
    byte[] payload = new byte[1024];
    Arrays.fill(payload, (byte) 'x');
    ExecutorService publishers = Executors.newFixedThreadPool(PUBLISHERS);
    long publishStart = System.nanoTime();
    try {
      List<Future<?>> done = new ArrayList<>();
      for (int p = 0; p < PUBLISHERS; p++) {
        int from = p * events / PUBLISHERS;
        int to = (p + 1) * events / PUBLISHERS;
        done.add(
            publishers.submit(
                () -> {
                  for (int i = from; i < to; i++) {
                    first
                        .pubsub("pubsub")
                        .publish(
                            PublishRequest.builder(topic, payload)
                                .contentType("application/octet-stream")
                                .build());
                  }
                }));
      }
      for (Future<?> publisher : done) {
        publisher.get(LIMIT.toSeconds(), TimeUnit.SECONDS);
      }
    } finally {
      publishers.shutdownNow();
    }
    long published = System.nanoTime() - publishStart;
    List<StreamMessage<String, String>> tail =
        redis.xrevrange(topic, Range.create("-", "+"), Limit.from(1));
    String last = tail.get(0).getId();
    if (redis.xlen(topic) != events) {
      throw new IllegalStateException("the stream holds " + redis.xlen(topic) + " of " + events);
    }

    com.sun.management.OperatingSystemMXBean os =
        (com.sun.management.OperatingSystemMXBean) ManagementFactory.getOperatingSystemMXBean();
    List<Subscription> subscriptions = new ArrayList<>();
    long cpu = os.getProcessCpuTime();
    long start = System.nanoTime();
    long end;
    try {
      subscriptions.add(subscribe(first, topic, concurrency));
      if (shape == Shape.TWO_IN_ONE_JVM) {
        subscriptions.add(subscribe(second, topic, concurrency));
      } else if (shape == Shape.TWO_JVMS) {
        peer.tell("subscribe " + topic + " " + concurrency, "subscribed");
      }
      long deadline = start + LIMIT.toNanos();
      while (!groupDone(redis, topic, last)) {
        if (System.nanoTime() > deadline) {
          throw new IllegalStateException(
              shape.label + ": the group did not finish " + topic + " within " + LIMIT);
        }
        Thread.sleep(5);
      }
      end = System.nanoTime();
    } finally {
      for (Subscription subscription : subscriptions) {
        subscription.close();
      }
      if (shape == Shape.TWO_JVMS) {
        peer.tell("close", "closed");
      }
    }
    long cpuUsed = os.getProcessCpuTime() - cpu;
    // 20 MB per burst: the next bursts should not run on a server that holds all of them.
    redis.del(topic);
    return new Burst(
        events / (published / 1e9), events / ((end - start) / 1e9), cpuUsed / 1e3 / events);
  }

  /**
   * Runs every shape with handler concurrency 1 (ordered: one message in flight for the whole
   * group) and 10 (daprd's default {@code concurrency}), and returns a Markdown table.
   *
   * @param events events per burst
   * @return the table
   * @throws Exception on failure
   */
  static String run(int events) throws Exception {
    if (!RedisServerFixture.available()) {
      return RedisServerFixture.SERVER + " is not installed: not measured.\n";
    }
    StringBuilder out = new StringBuilder();
    out.append(
        String.format(
            Locale.ROOT,
            "| runtimes | handler concurrency | delivered (events/s) | CPU of this JVM per event"
                + " | publish rate, %d publishing threads (events/s) |%n",
            PUBLISHERS));
    out.append("|---|---|---|---|---|\n");
    try (RedisServerFixture server = RedisServerFixture.start();
        Pillion first = runtime(server.address());
        Pillion second = runtime(server.address());
        Peer peer = new Peer(server.address())) {
      RedisClient client = RedisClient.create(RedisURI.create("127.0.0.1", server.port()));
      try (StatefulRedisConnection<String, String> connection = client.connect(StringCodec.UTF8)) {
        RedisCommands<String, String> redis = connection.sync();
        int round = 0;
        for (int concurrency : new int[] {1, 10}) {
          for (Shape shape : Shape.values()) {
            // The first burst warms up both JVMs on this path; the second is measured.
            burst(shape, first, second, peer, redis, "t" + round++, events, concurrency);
            Burst measured =
                burst(shape, first, second, peer, redis, "t" + round++, events, concurrency);
            out.append(
                String.format(
                    Locale.ROOT,
                    "| %s | %d | %.0f | %.1f µs | %.0f |%n",
                    shape.label,
                    concurrency,
                    measured.deliveredRate(),
                    measured.cpuMicrosPerEvent(),
                    measured.publishRate()));
          }
        }
      } finally {
        client.shutdown();
      }
    }
    return out.toString();
  }
}
