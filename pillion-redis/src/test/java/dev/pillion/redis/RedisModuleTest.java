package dev.pillion.redis;

import static dev.pillion.redis.RedisRequests.MAX_ANSWER;
import static dev.pillion.redis.RedisRequests.blocking;
import static dev.pillion.redis.RedisRequests.bulk;
import static dev.pillion.redis.RedisRequests.command;
import static dev.pillion.redis.RedisRequests.connect;
import static dev.pillion.redis.RedisRequests.integer;
import static dev.pillion.redis.RedisRequests.nil;
import static dev.pillion.redis.RedisRequests.pipeline;
import static dev.pillion.redis.RedisRequests.replies;
import static dev.pillion.redis.RedisRequests.text;
import static dev.pillion.redis.RedisRequests.transaction;
import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.pillion.abi.redis.Command;
import dev.pillion.abi.redis.Reply;
import dev.pillion.abi.redis.Request;
import dev.pillion.testing.RedisServerFixture;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The capability's requests against a real redis-server: pipelines, transactions, blocking calls,
 * the rules, deadlines and the answers' shapes.
 */
class RedisModuleTest {
  private static RedisServerFixture server;
  private static RedisModule redis;

  @BeforeAll
  static void start() {
    assumeTrue(RedisServerFixture.available(), "redis-server is not installed");
    server = RedisServerFixture.start();
    redis = connect(server);
  }

  @AfterAll
  static void stop() {
    if (redis != null) {
      redis.close();
    }
    if (server != null) {
      server.close();
    }
  }

  @Test
  void aPipelineAnswersEveryCommandInOrderKeepingNilEmptyAndErrorsApart() {
    List<Reply> replies =
        replies(
            redis.execute(
                pipeline(
                    command("SET", "p:empty", ""),
                    command("GET", "p:empty"),
                    command("GET", "p:missing"),
                    command("HSET", "p:hash", "data", "x", "version", "1"),
                    command("GET", "p:hash"),
                    command("HGETALL", "p:hash"),
                    command("INCR", "p:counter"),
                    command("LRANGE", "p:nolist", "0", "-1"),
                    command("NOSUCHCOMMAND")),
                MAX_ANSWER));

    assertThat(replies).hasSize(9);
    assertThat(replies.get(0)).isEqualTo(bulk("OK"));
    assertThat(replies.get(1)).isEqualTo(bulk(""));
    assertThat(replies.get(2)).isEqualTo(nil());
    assertThat(replies.get(3)).isEqualTo(integer(2));
    assertThat(replies.get(4).getError()).startsWith("WRONGTYPE");
    assertThat(replies.get(5).getArray().getItemsList())
        .containsExactly(bulk("data"), bulk("x"), bulk("version"), bulk("1"));
    assertThat(replies.get(6)).isEqualTo(integer(1));
    assertThat(replies.get(7).hasArray()).isTrue();
    assertThat(replies.get(7).getArray().getItemsList()).isEmpty();
    assertThat(replies.get(8).getError()).startsWith("ERR unknown command");
  }

  @Test
  void binaryValuesKeepTheirBytes() {
    byte[] value = new byte[256];
    for (int i = 0; i < value.length; i++) {
      value[i] = (byte) i;
    }
    Command set =
        Command.newBuilder()
            .addArgs(com.google.protobuf.ByteString.copyFromUtf8("SET"))
            .addArgs(com.google.protobuf.ByteString.copyFromUtf8("p:binary"))
            .addArgs(com.google.protobuf.ByteString.copyFrom(value))
            .build();
    List<Reply> replies =
        replies(redis.execute(pipeline(set, command("GET", "p:binary")), MAX_ANSWER));
    assertThat(replies.get(1).getBulk().toByteArray()).isEqualTo(value);
  }

  @Test
  void aTransactionAnswersExecsRepliesOnePerCommand() {
    List<Reply> replies =
        replies(
            redis.execute(
                transaction(
                    command("SET", "t:a", "1"),
                    command("INCR", "t:a"),
                    command("HSET", "t:a", "f", "v"),
                    command("GET", "t:a")),
                MAX_ANSWER));
    assertThat(replies).hasSize(4).startsWith(bulk("OK"), integer(2)).endsWith(bulk("2"));
    assertThat(replies.get(2).getError()).startsWith("WRONGTYPE");
  }

  @Test
  void aTransactionWithACommandRedisRejectsRunsNothing() {
    List<Reply> replies =
        replies(
            redis.execute(
                transaction(command("SET", "t:abort", "1"), command("NOSUCHCOMMAND", "x")),
                MAX_ANSWER));
    assertThat(replies).hasSize(2);
    assertThat(replies.get(0).getError()).startsWith("EXECABORT");
    assertThat(replies.get(1).getError()).startsWith("ERR unknown command");
    assertThat(replies(redis.execute(pipeline(command("EXISTS", "t:abort")), MAX_ANSWER)))
        .containsExactly(integer(0));
  }

  /**
   * Transactions of many threads, while other threads pipeline on the shared connection: a
   * transaction's commands never interleave with another caller's (its INCR and GET agree, and a
   * pipeline never gets QUEUED), and no increment is lost.
   */
  @Test
  void transactionsNeverInterleaveWithOtherCallers() throws Exception {
    int threads = 8;
    int rounds = 150;
    ExecutorService pool = Executors.newFixedThreadPool(threads * 2);
    AtomicInteger queuedSeen = new AtomicInteger();
    try {
      List<Future<?>> futures = new ArrayList<>();
      for (int t = 0; t < threads; t++) {
        String own = "h:own:" + t;
        futures.add(
            pool.submit(
                () -> {
                  for (int i = 0; i < rounds; i++) {
                    List<Reply> replies =
                        replies(
                            redis.execute(
                                transaction(
                                    command("INCR", "h:counter"), command("GET", "h:counter")),
                                MAX_ANSWER));
                    assertThat(replies).hasSize(2);
                    assertThat(text(replies.get(1)))
                        .isEqualTo(Long.toString(replies.get(0).getInteger()));
                  }
                }));
        futures.add(
            pool.submit(
                () -> {
                  for (int i = 0; i < rounds; i++) {
                    List<Reply> replies =
                        replies(
                            redis.execute(
                                pipeline(
                                    command("SET", own, Integer.toString(i)), command("GET", own)),
                                MAX_ANSWER));
                    if (replies.get(0).equals(bulk("QUEUED"))) {
                      queuedSeen.incrementAndGet();
                    }
                    assertThat(replies).containsExactly(bulk("OK"), bulk(Integer.toString(i)));
                  }
                }));
      }
      for (Future<?> future : futures) {
        future.get(120, TimeUnit.SECONDS);
      }
    } finally {
      pool.shutdownNow();
    }
    assertThat(queuedSeen).hasValue(0);
    assertThat(replies(redis.execute(pipeline(command("GET", "h:counter")), MAX_ANSWER)))
        .containsExactly(bulk(Integer.toString(threads * rounds)));
  }

  /** The clients Redis has blocked in a command such as BLPOP ({@code INFO clients}). */
  private static long blockedClients() {
    String info =
        text(replies(redis.execute(pipeline(command("INFO", "clients")), MAX_ANSWER)).get(0));
    return info.lines()
        .filter(line -> line.startsWith("blocked_clients:"))
        .mapToLong(line -> Long.parseLong(line.substring("blocked_clients:".length()).trim()))
        .findFirst()
        .orElseThrow();
  }

  @Test
  void aBlockingReadWaitsOnItsOwnConnectionWhileOtherCallsProceed() throws Exception {
    long blockedBefore = blockedClients();
    CompletableFuture<RedisModule.Result> waiting =
        CompletableFuture.supplyAsync(
            () ->
                redis.execute(
                    blocking(command("BLPOP", "b:queue", "10")).toBuilder()
                        .setTimeoutMillis(15_000)
                        .build(),
                    MAX_ANSWER));
    // The PINGs below prove something only once Redis holds the BLPOP.
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
    while (blockedClients() == blockedBefore && System.nanoTime() < deadline) {
      Thread.sleep(10);
    }
    assertThat(blockedClients()).as("the BLPOP blocked in Redis").isEqualTo(blockedBefore + 1);
    long start = System.nanoTime();
    for (int i = 0; i < 20; i++) {
      assertThat(replies(redis.execute(pipeline(command("PING")), MAX_ANSWER)))
          .containsExactly(bulk("PONG"));
    }
    assertThat(TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - start)).isLessThan(2_000);
    assertThat(waiting).isNotDone();
    redis.execute(pipeline(command("RPUSH", "b:queue", "job")), MAX_ANSWER);
    List<Reply> replies = replies(waiting.get(10, TimeUnit.SECONDS));
    assertThat(replies.get(0).getArray().getItemsList())
        .containsExactly(bulk("b:queue"), bulk("job"));
  }

  @Test
  void aBlockingReadThatTimesOutOnTheServerAnswersNil() {
    List<Reply> replies =
        replies(
            redis.execute(
                blocking(
                    command(
                        "XREADGROUP", "GROUP", "g", "c", "BLOCK", "100", "STREAMS", "b:none", ">")),
                MAX_ANSWER));
    // No such group: an error reply, not a failure of the call.
    assertThat(replies.get(0).getError()).startsWith("NOGROUP");
    assertThat(replies(redis.execute(blocking(command("BLPOP", "b:empty", "0.1")), MAX_ANSWER)))
        .containsExactly(nil());
  }

  @Test
  void commandsThatMayBlockAreRefusedOutsideABlockingRequest() {
    for (Command command :
        List.of(
            command("BLPOP", "k", "0"),
            command("brpop", "k", "0"),
            command("BZPOPMIN", "k", "0"),
            command("WAIT", "1", "0"),
            command("XREAD", "BLOCK", "0", "STREAMS", "s", "$"),
            command("xreadgroup", "GROUP", "g", "c", "block", "0", "STREAMS", "s", ">"))) {
      RedisModule.Result result = redis.execute(pipeline(command), MAX_ANSWER);
      assertThat(result.status()).as(command.toString()).isEqualTo(RedisModule.REFUSED);
      assertThat(result.reason()).contains("may block on the server").contains("blocking");
    }
    // XREAD without BLOCK, even with a stream named "BLOCK", is ordinary.
    assertThat(
            redis
                .execute(
                    pipeline(command("XREAD", "COUNT", "1", "STREAMS", "BLOCK", "0")), MAX_ANSWER)
                .status())
        .isZero();
  }

  @Test
  void deniedCommandsAreRefusedAndNothingIsSent() {
    for (Command command :
        List.of(
            command("AUTH", "secret"),
            command("config", "SET", "requirepass", "x"),
            command("MIGRATE", "10.0.0.1", "6379", "k", "0", "1000"),
            command("SELECT", "1"),
            command("FLUSHALL"),
            command("MULTI"),
            command("SUBSCRIBE", "c"),
            command("CLIENT", "KILL", "TYPE", "normal"),
            command("SCRIPT", "KILL"))) {
      // A denied command among allowed ones refuses the whole request.
      RedisModule.Result result =
          redis.execute(pipeline(command("SET", "d:sent", "1"), command), MAX_ANSWER);
      assertThat(result.status()).as(command.toString()).isEqualTo(RedisModule.REFUSED);
      assertThat(result.reason()).contains("command 1 (");
    }
    assertThat(replies(redis.execute(pipeline(command("EXISTS", "d:sent")), MAX_ANSWER)))
        .containsExactly(integer(0));
    String stats =
        text(replies(redis.execute(pipeline(command("INFO", "commandstats")), MAX_ANSWER)).get(0));
    assertThat(stats)
        .doesNotContain("cmdstat_auth")
        .doesNotContain("cmdstat_config")
        .doesNotContain("cmdstat_migrate")
        .doesNotContain("cmdstat_select")
        .doesNotContain("cmdstat_flushall");
  }

  @Test
  void emptyAndOversizedRequestsAreRefused() {
    assertThat(redis.execute(Request.getDefaultInstance(), MAX_ANSWER).reason())
        .isEqualTo("the request has no commands");
    assertThat(redis.execute(pipeline(Command.getDefaultInstance()), MAX_ANSWER).reason())
        .isEqualTo("command 0 is empty (it has no name)");
    Request.Builder many = Request.newBuilder();
    for (int i = 0; i <= CommandRules.MAX_COMMANDS; i++) {
      many.addCommands(command("PING"));
    }
    RedisModule.Result result = redis.execute(many.build(), MAX_ANSWER);
    assertThat(result.status()).isEqualTo(RedisModule.REFUSED);
    assertThat(result.reason())
        .isEqualTo("the request has 4097 commands; at most 4096 are allowed");
  }

  @Test
  void anAnswerOverTheMessageLimitIsRefusedWithItsSize() {
    String big = "x".repeat(10_000);
    replies(redis.execute(pipeline(command("SET", "l:big", big)), MAX_ANSWER));
    RedisModule.Result result = redis.execute(pipeline(command("GET", "l:big")), 4096);
    assertThat(result.status()).isEqualTo(RedisModule.REFUSED);
    assertThat(result.reason()).contains("exceeds the component's message limit of 4096 bytes");
    assertThat(replies(redis.execute(pipeline(command("STRLEN", "l:big")), 4096)))
        .containsExactly(integer(10_000));
  }

  @Test
  void aCallPastItsDeadlineAnswersStatusTwoAndLaterCallsWork() {
    // A script that keeps the server busy for 500 ms; the call gives up after 100 ms.
    String busy =
        "local t = redis.call('TIME') local s = t[1] * 1000000 + t[2] "
            + "repeat local n = redis.call('TIME') until n[1] * 1000000 + n[2] - s > 500000 "
            + "return 1";
    long start = System.nanoTime();
    RedisModule.Result result =
        redis.execute(
            pipeline(command("EVAL", busy, "0")).toBuilder().setTimeoutMillis(100).build(),
            MAX_ANSWER);
    long elapsed = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - start);
    assertThat(result.status()).isEqualTo(RedisModule.DEADLINE);
    assertThat(result.reason()).contains("within 100 ms");
    assertThat(elapsed).isBetween(90L, 450L);
    assertThat(replies(redis.execute(pipeline(command("PING")), MAX_ANSWER)))
        .containsExactly(bulk("PONG"));

    RedisModule.Result blocked =
        redis.execute(
            blocking(command("BLPOP", "dl:never", "0")).toBuilder().setTimeoutMillis(150).build(),
            MAX_ANSWER);
    assertThat(blocked.status()).isEqualTo(RedisModule.DEADLINE);
  }
}
