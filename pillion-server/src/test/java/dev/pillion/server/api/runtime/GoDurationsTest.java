package dev.pillion.server.api.runtime;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import org.junit.jupiter.api.Test;

/** Durations as Go's time.Duration.String() writes them, as daprd's metadata reports them. */
class GoDurationsTest {
  @Test
  void formatsAsGoDoes() {
    assertThat(GoDurations.format(Duration.ofSeconds(5))).isEqualTo("5s");
    assertThat(GoDurations.format(Duration.ofMillis(500))).isEqualTo("500ms");
    assertThat(GoDurations.format(Duration.ofMillis(1500))).isEqualTo("1.5s");
    assertThat(GoDurations.format(Duration.ofSeconds(90))).isEqualTo("1m30s");
    assertThat(GoDurations.format(Duration.ofMinutes(1))).isEqualTo("1m0s");
    assertThat(GoDurations.format(Duration.ofHours(2))).isEqualTo("2h0m0s");
    assertThat(GoDurations.format(Duration.ZERO)).isEqualTo("0s");
    assertThat(GoDurations.format(Duration.ofNanos(1500))).isEqualTo("1.5µs");
  }
}
