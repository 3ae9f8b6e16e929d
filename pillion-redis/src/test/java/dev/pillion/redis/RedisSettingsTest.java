package dev.pillion.redis;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.pillion.config.ComponentConfigException;
import dev.pillion.config.ComponentDefinition;
import java.time.Duration;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** daprd's connection metadata: defaults, parsing, refusals naming the component and the field. */
class RedisSettingsTest {
  private static ComponentDefinition definition(Map<String, String> metadata) {
    return ComponentDefinition.builder("orders", "state.redis").metadata(metadata).build();
  }

  private static RedisSettings settings(Map<String, String> metadata) {
    return RedisSettings.from(definition(metadata));
  }

  private static void assertRefused(Map<String, String> metadata, String message) {
    assertThatThrownBy(() -> settings(metadata))
        .isInstanceOf(ComponentConfigException.class)
        .hasMessageStartingWith("component 'orders' (state.redis/v1")
        .hasMessageContaining(message);
  }

  @Test
  void whatDaprInitWritesWorksWithTheDefaults() {
    RedisSettings settings =
        settings(
            Map.of("redisHost", "localhost:6379", "redisPassword", "", "actorStateStore", "true"));
    assertThat(settings.host()).isEqualTo("localhost");
    assertThat(settings.port()).isEqualTo(6379);
    assertThat(settings.authenticates()).isFalse();
    assertThat(settings.username()).isEmpty();
    assertThat(settings.database()).isZero();
    assertThat(settings.tls()).isFalse();
    assertThat(settings.dialTimeout()).isEqualTo(Duration.ofSeconds(5));
    assertThat(settings.readTimeout()).isEqualTo(Duration.ofSeconds(5));
    assertThat(settings.maxRetries()).isEqualTo(3);
    assertThat(settings.maxRetryBackoff()).isEqualTo(Duration.ofSeconds(2));
  }

  @Test
  void fieldsAreParsedAsDaprWritesThem() {
    RedisSettings settings =
        settings(
            Map.of(
                "redisHost", "[::1]:6380",
                "redisUsername", "app",
                "redisPassword", "pw",
                "redisDB", "3",
                "enableTLS", "true",
                "dialTimeout", "750ms",
                "readTimeout", "2s",
                "maxRetries", "0",
                "maxRetryBackoff", "3000"));
    assertThat(settings.host()).isEqualTo("::1");
    assertThat(settings.port()).isEqualTo(6380);
    assertThat(settings.address()).isEqualTo("[::1]:6380");
    assertThat(settings.username()).contains("app");
    assertThat(settings.authenticates()).isTrue();
    assertThat(settings.database()).isEqualTo(3);
    assertThat(settings.tls()).isTrue();
    assertThat(settings.dialTimeout()).isEqualTo(Duration.ofMillis(750));
    assertThat(settings.readTimeout()).isEqualTo(Duration.ofSeconds(2));
    assertThat(settings.maxRetries()).isZero();
    // A plain number is milliseconds, as daprd reads it; a negative backoff turns it off.
    assertThat(settings.maxRetryBackoff()).isEqualTo(Duration.ofSeconds(3));
    assertThat(settings(Map.of("redisHost", "h:1", "maxRetryBackoff", "-1")).maxRetryBackoff())
        .isEqualTo(RedisSettings.MIN_RETRY_BACKOFF);
    assertThat(settings.toString()).doesNotContain("pw");
  }

  @Test
  void badFieldsAreRefusedByName() {
    assertRefused(Map.of(), "metadata 'redisHost' is required");
    assertRefused(
        Map.of("redisHost", "localhost"), "metadata 'redisHost' 'localhost' is not host:port");
    assertRefused(Map.of("redisHost", "localhost:http"), "has no valid port");
    assertRefused(Map.of("redisHost", "localhost:70000"), "port 70000 is outside 1-65535");
    assertRefused(Map.of("redisHost", "a:1,b:2"), "names several servers");
    assertRefused(
        Map.of("redisHost", "h:1", "redisType", "cluster"),
        "metadata 'redisType' 'cluster' is not supported");
    assertRefused(
        Map.of("redisHost", "h:1", "failover", "true"),
        "metadata 'failover' Redis Sentinel failover is not supported");
    assertRefused(Map.of("redisHost", "h:1", "redisDB", "-1"), "metadata 'redisDB' must not be");
    assertRefused(Map.of("redisHost", "h:1", "enableTLS", "yes"), "'yes' is not true or false");
    assertRefused(
        Map.of("redisHost", "h:1", "readTimeout", "soon"),
        "metadata 'readTimeout' 'soon' is not a");
    assertRefused(
        Map.of("redisHost", "h:1", "caCert", "-----BEGIN CERTIFICATE-----"),
        "metadata 'caCert' is used only with enableTLS: true");
    assertRefused(
        Map.of("redisHost", "h:1", "enableTLS", "true", "caCert", "not pem"),
        "metadata 'caCert' is not PEM");
    assertRefused(
        Map.of("redisHost", "h:1", "enableTLS", "true", "clientCert", "-----BEGIN X-----"),
        "metadata 'clientKey' is required with clientCert");
    assertRefused(
        Map.of("redisHost", "h:1", "redisUsername", "app"),
        "metadata 'redisPassword' is required with redisUsername");
  }

  @Test
  void theGuestNeverSeesTheConnectionFields() {
    Map<String, String> properties =
        RedisSettings.guestProperties(
            definition(
                Map.of(
                    "redisHost", "h:1",
                    "redisPassword", "pw",
                    "redisUsername", "u",
                    "enableTLS", "true",
                    "caCert", "-----BEGIN CERTIFICATE-----",
                    "clientKey", "-----BEGIN PRIVATE KEY-----",
                    "keyPrefix", "none",
                    "ttlInSeconds", "60",
                    "consumerID", "c",
                    "wasm.engine", "interpreted")));
    assertThat(properties)
        .containsOnlyKeys("keyPrefix", "ttlInSeconds", "consumerID")
        .containsEntry("ttlInSeconds", "60");
  }
}
