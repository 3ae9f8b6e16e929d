package dev.pillion.redis;

import com.google.protobuf.ByteString;
import dev.pillion.abi.PillionException;
import dev.pillion.abi.redis.Command;
import dev.pillion.abi.redis.Reply;
import dev.pillion.abi.redis.Request;
import dev.pillion.abi.redis.Response;
import io.lettuce.core.ClientOptions;
import io.lettuce.core.RedisChannelHandler;
import io.lettuce.core.RedisClient;
import io.lettuce.core.RedisCommandExecutionException;
import io.lettuce.core.RedisURI;
import io.lettuce.core.SocketOptions;
import io.lettuce.core.SslOptions;
import io.lettuce.core.TimeoutOptions;
import io.lettuce.core.api.StatefulRedisConnection;
import io.lettuce.core.codec.ByteArrayCodec;
import io.lettuce.core.protocol.AsyncCommand;
import io.lettuce.core.protocol.CommandArgs;
import io.lettuce.core.protocol.ProtocolKeyword;
import io.lettuce.core.protocol.ProtocolVersion;
import io.lettuce.core.protocol.RedisCommand;
import io.lettuce.core.resource.ClientResources;
import io.lettuce.core.resource.Delay;
import java.io.ByteArrayInputStream;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentLinkedDeque;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

/**
 * The connections of one component to its Redis, over Lettuce: one shared connection that every
 * ordinary request is written to (Lettuce pipelines what concurrent callers write), and exclusive
 * connections, each used by one call at a time, for transactions (MULTI, the commands and EXEC must
 * reach the server with no other caller's command in between, which a shared connection cannot
 * promise) and blocking requests (so no other call waits behind them).
 *
 * <p>While the shared connection is down every call fails at once (status 1) and Lettuce reconnects
 * in the background, with a backoff that doubles up to {@code maxRetryBackoff}. Commands in flight
 * when a connection breaks fail; none is re-sent after a reconnect (a write sent twice could apply
 * twice).
 */
final class RedisConnections implements AutoCloseable {
  private static final System.Logger LOG = System.getLogger(RedisConnections.class.getName());

  /** Exclusive connections kept open for the next transaction or blocking call. */
  private static final int IDLE_EXCLUSIVE = 4;

  private static final byte[] MULTI = "MULTI".getBytes(StandardCharsets.US_ASCII);
  private static final byte[] EXEC = "EXEC".getBytes(StandardCharsets.US_ASCII);

  private final RedisSettings settings;
  private final ClientResources resources;
  private final RedisClient client;
  private final RedisURI uri;
  private final StatefulRedisConnection<byte[], byte[]> shared;
  private final ConcurrentLinkedDeque<StatefulRedisConnection<byte[], byte[]>> idle =
      new ConcurrentLinkedDeque<>();
  private volatile boolean closed;

  private RedisConnections(
      RedisSettings settings,
      ClientResources resources,
      RedisClient client,
      RedisURI uri,
      StatefulRedisConnection<byte[], byte[]> shared) {
    this.settings = settings;
    this.resources = resources;
    this.client = client;
    this.uri = uri;
    this.shared = shared;
  }

  /** What a request came to: a status (docs/abi.md) and its answer's bytes. */
  record Answer(int status, byte[] bytes) {
    static Answer of(Response response) {
      return new Answer(RedisModule.OK, response.toByteArray());
    }

    static Answer failure(int status, String reason) {
      return new Answer(status, reason.getBytes(StandardCharsets.UTF_8));
    }
  }

  /**
   * Connects to the server the settings name.
   *
   * @param settings the component's settings
   * @return the connections, the shared one open
   * @throws PillionException naming the component and the address when connecting or authenticating
   *     fails
   */
  static RedisConnections connect(RedisSettings settings) {
    ClientResources resources =
        ClientResources.builder()
            .ioThreadPoolSize(2)
            .computationThreadPoolSize(1)
            .reconnectDelay(
                Delay.exponential(
                    RedisSettings.MIN_RETRY_BACKOFF,
                    settings.maxRetryBackoff(),
                    2,
                    TimeUnit.MILLISECONDS))
            .build();
    RedisClient client = null;
    try {
      RedisURI.Builder uri =
          RedisURI.builder()
              .withHost(settings.host())
              .withPort(settings.port())
              .withDatabase(settings.database())
              .withSsl(settings.tls())
              .withTimeout(settings.readTimeout());
      if (settings.authenticates()) {
        if (settings.username().isPresent()) {
          uri.withAuthentication(settings.username().get(), settings.password());
        } else {
          uri.withPassword(settings.password());
        }
      }
      client = RedisClient.create(resources);
      client.setOptions(options(settings));
      RedisURI built = uri.build();
      StatefulRedisConnection<byte[], byte[]> shared;
      try {
        shared = client.connect(ByteArrayCodec.INSTANCE, built);
      } catch (RuntimeException first) {
        if (serverError(first) != null) {
          throw first;
        }
        // A handshake the server refused (WRONGPASS) sometimes surfaces only as Lettuce's own
        // "handshake handler not registered", the server's reply lost in a race: a second attempt
        // reports what the server said (or connects, if the first failure was the network's).
        shared = client.connect(ByteArrayCodec.INSTANCE, built);
      }
      return new RedisConnections(settings, resources, client, built, shared);
    } catch (RuntimeException e) {
      if (client != null) {
        client.shutdown(Duration.ZERO, Duration.ofSeconds(2));
      }
      resources.shutdown(0, 2, TimeUnit.SECONDS);
      throw new PillionException(
          "component '"
              + settings.component()
              + "': cannot connect to Redis at "
              + settings.address()
              + (settings.tls() ? " (TLS)" : "")
              + ": "
              + rootMessage(e),
          e);
    }
  }

  private static ClientOptions options(RedisSettings settings) {
    ClientOptions.Builder options =
        ClientOptions.builder()
            // RESP2 whatever the server offers: replies have one shape for every server version.
            .protocolVersion(ProtocolVersion.RESP2)
            .autoReconnect(true)
            .disconnectedBehavior(ClientOptions.DisconnectedBehavior.REJECT_COMMANDS)
            // Nothing in flight is re-sent after a reconnect: its caller already got status 1.
            .replayFilter(command -> true)
            .timeoutOptions(TimeoutOptions.builder().timeoutCommands(false).build())
            .socketOptions(
                SocketOptions.builder()
                    .connectTimeout(settings.dialTimeout())
                    .keepAlive(true)
                    .build());
    if (settings.tls()) {
      SslOptions.Builder ssl = SslOptions.builder().jdkSslProvider();
      settings.caCert().ifPresent(pem -> ssl.trustManager(() -> new ByteArrayInputStream(pem)));
      if (settings.clientCert().isPresent()) {
        byte[] cert = settings.clientCert().get();
        byte[] key = settings.clientKey().orElseThrow();
        ssl.keyManager(
            () -> new ByteArrayInputStream(cert), () -> new ByteArrayInputStream(key), null);
      }
      options.sslOptions(ssl.build());
    }
    return options.build();
  }

  /**
   * The server's error reply (WRONGPASS, NOAUTH, ...) among a failure's causes, if there is one.
   */
  private static RedisCommandExecutionException serverError(Throwable e) {
    for (Throwable cause = e;
        cause != null;
        cause = cause.getCause() == cause ? null : cause.getCause()) {
      if (cause instanceof RedisCommandExecutionException reply) {
        return reply;
      }
      for (Throwable suppressed : cause.getSuppressed()) {
        if (suppressed instanceof RedisCommandExecutionException reply) {
          return reply;
        }
      }
    }
    return null;
  }

  private static String rootMessage(Throwable e) {
    Throwable root = e;
    StringBuilder message = new StringBuilder(String.valueOf(e.getMessage()));
    while (root.getCause() != null && root.getCause() != root) {
      root = root.getCause();
      if (root.getMessage() != null && !message.toString().contains(root.getMessage())) {
        message.append(": ").append(root.getMessage());
      }
    }
    return message.toString();
  }

  /**
   * Whether the shared connection is up.
   *
   * @return true while connected
   */
  boolean connected() {
    return shared.isOpen();
  }

  /**
   * Runs a request within its deadline.
   *
   * @param request the request, already checked against the rules
   * @param maxAnswerBytes the largest answer the guest may take
   * @return the answer
   */
  Answer execute(Request request, int maxAnswerBytes) {
    Duration deadline =
        request.getTimeoutMillis() > 0
            ? Duration.ofMillis(Integer.toUnsignedLong(request.getTimeoutMillis()))
            : settings.readTimeout();
    if (closed) {
      return Answer.failure(RedisModule.UNAVAILABLE, "the component is closed");
    }
    if (!shared.isOpen()) {
      return Answer.failure(
          RedisModule.UNAVAILABLE,
          "the connection to Redis at " + settings.address() + " is down; reconnecting");
    }
    boolean transaction = request.getMode() == Request.Mode.TRANSACTION;
    if (!transaction && !request.getBlocking()) {
      return run(shared, request, false, deadline, maxAnswerBytes, false);
    }
    StatefulRedisConnection<byte[], byte[]> exclusive;
    try {
      exclusive = borrow();
    } catch (RuntimeException e) {
      return Answer.failure(
          RedisModule.UNAVAILABLE,
          "no connection to Redis at " + settings.address() + ": " + rootMessage(e));
    }
    boolean reusable = false;
    try {
      Answer answer = run(exclusive, request, transaction, deadline, maxAnswerBytes, true);
      // A connection that missed its deadline may still owe a reply: never lend it again.
      reusable = answer.status() == RedisModule.OK || answer.status() == RedisModule.REFUSED;
      return answer;
    } finally {
      giveBack(exclusive, reusable);
    }
  }

  private StatefulRedisConnection<byte[], byte[]> borrow() {
    StatefulRedisConnection<byte[], byte[]> connection;
    while ((connection = idle.pollFirst()) != null) {
      if (connection.isOpen()) {
        return connection;
      }
      connection.closeAsync();
    }
    return client.connect(ByteArrayCodec.INSTANCE, uri);
  }

  private void giveBack(StatefulRedisConnection<byte[], byte[]> connection, boolean reusable) {
    if (reusable && !closed && connection.isOpen() && idle.size() < IDLE_EXCLUSIVE) {
      idle.addFirst(connection);
      if (!closed) {
        return;
      }
      // close() ran meanwhile and may have drained the pool before this connection joined it.
      idle.remove(connection);
    }
    connection.closeAsync();
  }

  private Answer run(
      StatefulRedisConnection<byte[], byte[]> connection,
      Request request,
      boolean transaction,
      Duration deadline,
      int maxAnswerBytes,
      boolean exclusive) {
    List<AsyncCommand<byte[], byte[], Reply>> commands = new ArrayList<>();
    if (transaction) {
      commands.add(command(MULTI, List.of(), maxAnswerBytes));
    }
    for (Command command : request.getCommandsList()) {
      List<ByteString> args = command.getArgsList();
      commands.add(
          command(args.get(0).toByteArray(), args.subList(1, args.size()), maxAnswerBytes));
    }
    if (transaction) {
      commands.add(command(EXEC, List.of(), maxAnswerBytes));
    }
    // Written straight to the channel: Lettuce's own handling of MULTI and EXEC (which tracks one
    // transaction per connection object) must not see the guest's commands.
    try {
      ((RedisChannelHandler<?, ?>) connection)
          .getChannelWriter()
          .write(new ArrayList<RedisCommand<byte[], byte[], ?>>(commands));
    } catch (RuntimeException e) {
      return Answer.failure(
          RedisModule.UNAVAILABLE,
          "Redis at " + settings.address() + " is not reachable: " + rootMessage(e));
    }
    CompletableFuture<Void> all =
        CompletableFuture.allOf(commands.toArray(CompletableFuture<?>[]::new));
    try {
      all.get(deadline.toNanos(), TimeUnit.NANOSECONDS);
    } catch (TimeoutException e) {
      if (!exclusive) {
        commands.forEach(command -> command.cancel(false));
      }
      return Answer.failure(
          RedisModule.DEADLINE,
          "no reply from Redis at "
              + settings.address()
              + " within "
              + deadline.toMillis()
              + " ms");
    } catch (ExecutionException e) {
      return Answer.failure(
          RedisModule.UNAVAILABLE,
          "Redis at " + settings.address() + " failed the call: " + rootMessage(e.getCause()));
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      commands.forEach(command -> command.cancel(false));
      throw new PillionException("interrupted while waiting for Redis", e);
    }
    long size = 0;
    for (AsyncCommand<byte[], byte[], Reply> command : commands) {
      ReplyOutput output = (ReplyOutput) command.getOutput();
      size += output.size();
      if (output.overBudget() || size > maxAnswerBytes) {
        return tooLarge(size, maxAnswerBytes);
      }
    }
    Response.Builder response = Response.newBuilder();
    if (transaction) {
      transactionReplies(commands, response);
    } else {
      commands.forEach(command -> response.addReplies(reply(command)));
    }
    Response built = response.build();
    if (built.getSerializedSize() > maxAnswerBytes) {
      return tooLarge(built.getSerializedSize(), maxAnswerBytes);
    }
    return Answer.of(built);
  }

  private static Answer tooLarge(long size, int maxAnswerBytes) {
    return Answer.failure(
        RedisModule.REFUSED,
        "the answer of at least "
            + size
            + " bytes exceeds the component's message limit of "
            + maxAnswerBytes
            + " bytes (the commands ran)");
  }

  /** EXEC's items, one per command; after EXECABORT, each command's own error or the abort. */
  private static void transactionReplies(
      List<AsyncCommand<byte[], byte[], Reply>> commands, Response.Builder response) {
    Reply exec = reply(commands.get(commands.size() - 1));
    List<AsyncCommand<byte[], byte[], Reply>> queued = commands.subList(1, commands.size() - 1);
    if (exec.hasArray() && exec.getArray().getItemsCount() == queued.size()) {
      response.addAllReplies(exec.getArray().getItemsList());
      return;
    }
    String abort = exec.hasError() ? exec.getError() : "EXECABORT the transaction did not run";
    for (AsyncCommand<byte[], byte[], Reply> command : queued) {
      Reply queueing = reply(command);
      response.addReplies(
          queueing.hasError() ? queueing : Reply.newBuilder().setError(abort).build());
    }
  }

  private static Reply reply(AsyncCommand<byte[], byte[], Reply> command) {
    Reply reply = command.getOutput().get();
    return reply == null ? Reply.newBuilder().setNil(true).build() : reply;
  }

  private static AsyncCommand<byte[], byte[], Reply> command(
      byte[] name, List<ByteString> args, int maxAnswerBytes) {
    CommandArgs<byte[], byte[]> commandArgs = new CommandArgs<>(ByteArrayCodec.INSTANCE);
    for (ByteString arg : args) {
      commandArgs.add(arg.toByteArray());
    }
    return new AsyncCommand<>(
        new io.lettuce.core.protocol.Command<>(
            new Keyword(name), new ReplyOutput(maxAnswerBytes), commandArgs));
  }

  /** A command name as the guest sent it. */
  private record Keyword(byte[] bytes) implements ProtocolKeyword {
    @Override
    public byte[] getBytes() {
      return bytes;
    }

    @Override
    public String toString() {
      return new String(bytes, StandardCharsets.ISO_8859_1);
    }
  }

  /** Closes every connection and releases the client's threads. */
  @Override
  public void close() {
    if (closed) {
      return;
    }
    closed = true;
    StatefulRedisConnection<byte[], byte[]> connection;
    while ((connection = idle.pollFirst()) != null) {
      connection.close();
    }
    shared.close();
    try {
      client.shutdown(Duration.ZERO, Duration.ofSeconds(2));
      resources.shutdown(0, 2, TimeUnit.SECONDS);
    } catch (RuntimeException e) {
      LOG.log(
          System.Logger.Level.WARNING,
          "closing the Redis client of component '" + settings.component() + "' failed",
          e);
    }
  }

  /**
   * The settings, for messages.
   *
   * @return the settings
   */
  RedisSettings settings() {
    return settings;
  }
}
