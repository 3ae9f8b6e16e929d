package dev.pillion.redis.conformance;

import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.pillion.block.ComponentFactory;
import dev.pillion.block.RuntimeContext;
import dev.pillion.config.ComponentDefinition;
import dev.pillion.testing.RedisServerFixture;
import dev.pillion.wasm.WasmHost;
import io.lettuce.core.RedisClient;
import io.lettuce.core.RedisURI;
import io.lettuce.core.api.StatefulRedisConnection;
import java.util.Map;

/**
 * What the Redis conformance tests share: a redis-server of their own, a host, and an admin
 * connection that empties the database before each component is created, so every scenario starts
 * from nothing.
 */
final class RedisUnderTest implements AutoCloseable {
  private final RedisServerFixture server;
  private final WasmHost host;
  private final RedisClient admin;
  private final StatefulRedisConnection<String, String> adminConnection;

  private RedisUnderTest(RedisServerFixture server) {
    this.server = server;
    this.host = WasmHost.create();
    this.admin = RedisClient.create(RedisURI.create("127.0.0.1", server.port()));
    this.adminConnection = admin.connect();
  }

  /** Starts redis-server, or skips the tests where it is not installed. */
  static RedisUnderTest start() {
    assumeTrue(RedisServerFixture.available(), "redis-server is not installed");
    return new RedisUnderTest(RedisServerFixture.start());
  }

  /**
   * Empties the database and creates a component of {@code type} named {@code name} over this
   * server.
   */
  <C> C create(
      ComponentFactory<C> factory, String name, String type, Map<String, String> metadata) {
    adminConnection.sync().flushall();
    return factory.create(
        ComponentDefinition.builder(name, type)
            .metadata("redisHost", server.address())
            .metadata(metadata)
            .build(),
        RuntimeContext.builder(host).build());
  }

  @Override
  public void close() {
    adminConnection.close();
    admin.shutdown();
    host.close();
    server.close();
  }
}
