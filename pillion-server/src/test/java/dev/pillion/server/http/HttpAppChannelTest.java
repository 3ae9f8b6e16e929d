package dev.pillion.server.http;

import static org.assertj.core.api.Assertions.assertThat;

import dev.pillion.pubsub.DeliveryResult;
import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;

/** How a 2xx answer of the app to a delivery is read: as daprd decodes {@code {"status": ...}}. */
class HttpAppChannelTest {
  private static DeliveryResult status(String body) {
    return HttpAppChannel.status(body.getBytes(StandardCharsets.UTF_8), "/orders", "event-1");
  }

  @Test
  void theStatusFieldMatchesInAnyLetterCase() {
    assertThat(status("{\"status\":\"RETRY\"}")).isEqualTo(DeliveryResult.RETRY);
    assertThat(status("{\"Status\":\"RETRY\"}")).isEqualTo(DeliveryResult.RETRY);
    assertThat(status("{\"STATUS\":\"drop\"}")).isEqualTo(DeliveryResult.DROP);
    assertThat(status("{\"Status\":\"success\"}")).isEqualTo(DeliveryResult.SUCCESS);
  }

  @Test
  void anUnknownStatusIsRetried() {
    assertThat(status("{\"status\":\"LATER\"}")).isEqualTo(DeliveryResult.RETRY);
  }

  @Test
  void whatDoesNotDecodeAsAStatusObjectIsASuccessAsInDaprd() {
    assertThat(status("")).isEqualTo(DeliveryResult.SUCCESS);
    assertThat(status("ok")).isEqualTo(DeliveryResult.SUCCESS);
    assertThat(status("[\"RETRY\"]")).isEqualTo(DeliveryResult.SUCCESS);
    assertThat(status("{\"status\":5}")).isEqualTo(DeliveryResult.SUCCESS);
    assertThat(status("{\"status\":null}")).isEqualTo(DeliveryResult.SUCCESS);
    assertThat(status("{\"state\":\"RETRY\"}")).isEqualTo(DeliveryResult.SUCCESS);
  }
}
