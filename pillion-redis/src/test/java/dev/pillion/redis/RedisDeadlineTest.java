package dev.pillion.redis;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.pillion.Pillion;
import dev.pillion.config.ComponentDefinition;
import dev.pillion.testing.RedisServerFixture;
import java.io.OutputStream;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * A Redis call that outlives {@code readTimeout} ends at that deadline with a clear error, even
 * when {@code readTimeout} is longer than the guest call timeout's default (5 s): a Redis
 * component's calls get {@code readTimeout} plus a second unless {@code wasm.callTimeout} says
 * otherwise, so the watchdog does not discard the instance first.
 */
class RedisDeadlineTest {
  @Test
  void aSlowServerIsTheDeadlineErrorNotATimedOutInstance() throws Exception {
    assumeTrue(RedisServerFixture.available(), "redis-server is not installed");
    try (RedisServerFixture server = RedisServerFixture.start();
        Pillion runtime =
            Pillion.builder()
                .appId("slow")
                .component(
                    ComponentDefinition.builder("statestore", "state.redis")
                        .metadata(Map.of("redisHost", server.address(), "readTimeout", "6s"))
                        .build())
                .build();
        Socket admin = new Socket("127.0.0.1", server.port())) {
      runtime.state("statestore").save("k", "v");
      OutputStream out = admin.getOutputStream();
      // The server holds every client's commands for 8 s, the component's included.
      out.write(
          "*4\r\n$6\r\nCLIENT\r\n$5\r\nPAUSE\r\n$4\r\n8000\r\n$3\r\nALL\r\n"
              .getBytes(StandardCharsets.US_ASCII));
      out.flush();
      byte[] reply = new byte[200];
      int read = admin.getInputStream().read(reply);
      assertThat(new String(reply, 0, read, StandardCharsets.US_ASCII))
          .as("CLIENT PAUSE")
          .startsWith("+OK");
      long start = System.nanoTime();
      assertThatThrownBy(() -> runtime.state("statestore").get("k"))
          .hasMessageContaining("did not answer in time");
      assertThat((System.nanoTime() - start) / 1_000_000).isBetween(5_000L, 7_500L);
    }
  }
}
