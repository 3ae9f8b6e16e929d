package dev.pillion.cli;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.Duration;
import org.junit.jupiter.api.Test;
import picocli.CommandLine.TypeConversionException;

class CliValuesTest {
  @Test
  void sizesAreQuantitiesAsDaprdReadsThem() {
    assertThat(CliValues.bytes("4194304")).isEqualTo(4194304);
    assertThat(CliValues.bytes("4Mi")).isEqualTo(4 << 20);
    assertThat(CliValues.bytes("512Ki")).isEqualTo(512 << 10);
    assertThat(CliValues.bytes("1Gi")).isEqualTo(1 << 30);
    assertThat(CliValues.bytes("500k")).isEqualTo(500_000);
    assertThat(CliValues.bytes("4M")).isEqualTo(4_000_000);
    for (String bad : new String[] {"", "4MB", "-1", "0", "2Gi", "99999999999999999999", "1.5Mi"}) {
      assertThatThrownBy(() -> CliValues.bytes(bad))
          .as(bad)
          .isInstanceOf(TypeConversionException.class);
    }
  }

  @Test
  void durationsAreWrittenAsInGo() {
    assertThat(CliValues.duration("60s")).isEqualTo(Duration.ofSeconds(60));
    assertThat(CliValues.duration("5m")).isEqualTo(Duration.ofMinutes(5));
    assertThat(CliValues.duration("1m30s")).isEqualTo(Duration.ofSeconds(90));
    assertThat(CliValues.duration("250ms")).isEqualTo(Duration.ofMillis(250));
    assertThat(CliValues.duration("2h")).isEqualTo(Duration.ofHours(2));
    assertThat(CliValues.duration("0")).isEqualTo(Duration.ZERO);
    for (String bad : new String[] {"", "60", "5 m", "s", "1m 30s", "1x", "PT5M", "-5s"}) {
      assertThatThrownBy(() -> CliValues.duration(bad))
          .as(bad)
          .isInstanceOf(TypeConversionException.class);
    }
  }
}
