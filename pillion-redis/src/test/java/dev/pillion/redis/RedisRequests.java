package dev.pillion.redis;

import static org.assertj.core.api.Assertions.assertThat;

import com.google.protobuf.ByteString;
import com.google.protobuf.InvalidProtocolBufferException;
import dev.pillion.abi.redis.Command;
import dev.pillion.abi.redis.Reply;
import dev.pillion.abi.redis.Request;
import dev.pillion.abi.redis.Response;
import dev.pillion.config.ComponentDefinition;
import dev.pillion.testing.RedisServerFixture;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;

/** Builds requests and reads answers for the tests. */
final class RedisRequests {
  static final int MAX_ANSWER = 4 * 1024 * 1024;

  private RedisRequests() {}

  static Command command(String... args) {
    Command.Builder command = Command.newBuilder();
    for (String arg : args) {
      command.addArgs(ByteString.copyFromUtf8(arg));
    }
    return command.build();
  }

  static Request pipeline(Command... commands) {
    return Request.newBuilder().addAllCommands(List.of(commands)).build();
  }

  static Request transaction(Command... commands) {
    return pipeline(commands).toBuilder().setMode(Request.Mode.TRANSACTION).build();
  }

  static Request blocking(Command... commands) {
    return pipeline(commands).toBuilder().setBlocking(true).build();
  }

  static List<Reply> replies(RedisModule.Result result) {
    assertThat(result.status()).as("status; reason: %s", result.reason()).isZero();
    try {
      return Response.parseFrom(result.answer()).getRepliesList();
    } catch (InvalidProtocolBufferException e) {
      throw new AssertionError(e);
    }
  }

  static Reply bulk(String text) {
    return Reply.newBuilder().setBulk(ByteString.copyFromUtf8(text)).build();
  }

  static Reply integer(long value) {
    return Reply.newBuilder().setInteger(value).build();
  }

  static Reply nil() {
    return Reply.newBuilder().setNil(true).build();
  }

  static String text(Reply reply) {
    return reply.getBulk().toString(StandardCharsets.UTF_8);
  }

  static ComponentDefinition definition(RedisServerFixture server, Map<String, String> more) {
    return ComponentDefinition.builder("cache", "state.redis")
        .metadata("redisHost", server.address())
        .metadata(more)
        .build();
  }

  static RedisModule connect(RedisServerFixture server, Map<String, String> more) {
    return RedisModule.connect(RedisSettings.from(definition(server, more)));
  }

  static RedisModule connect(RedisServerFixture server) {
    return connect(server, Map.of());
  }
}
