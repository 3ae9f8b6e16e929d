package dev.pillion.server.http;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.pillion.server.DaprApiException;
import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;

/**
 * How {@link JsonBody} matches field names: as Go's {@code encoding/json} matches struct fields.
 */
class JsonBodyTest {
  private static ObjectNode object(String json) {
    return (ObjectNode) JsonBody.parse(json.getBytes(StandardCharsets.UTF_8), "the test body");
  }

  private static String text(JsonNode node) {
    return node == null ? null : node.asText();
  }

  @Test
  void aFieldMatchesInAnyLetterCase() {
    assertThat(text(JsonBody.field(object("{\"pubsubName\":\"a\"}"), "pubsubname"))).isEqualTo("a");
    assertThat(text(JsonBody.field(object("{\"ENTRYID\":\"b\"}"), "entryId"))).isEqualTo("b");
    assertThat(text(JsonBody.field(object("{\"entryID\":\"c\"}"), "entryId"))).isEqualTo("c");
    assertThat(JsonBody.field(object("{\"entry_id\":\"c\"}"), "entryId")).isNull();
    assertThat(JsonBody.field(object("{\"entryIds\":\"c\"}"), "entryId")).isNull();
  }

  @Test
  void anExactMatchWinsOverOtherCases() {
    ObjectNode both = object("{\"pubsubName\":\"folded\",\"pubsubname\":\"exact\"}");
    assertThat(text(JsonBody.field(both, "pubsubname"))).isEqualTo("exact");
    ObjectNode exactFirst = object("{\"pubsubname\":\"exact\",\"PubsubName\":\"folded\"}");
    assertThat(text(JsonBody.field(exactFirst, "pubsubname"))).isEqualTo("exact");
  }

  @Test
  void withoutAnExactMatchTheLastMatchingKeyWinsAsInGo() {
    ObjectNode two = object("{\"Topic\":\"first\",\"TOPIC\":\"last\"}");
    assertThat(text(JsonBody.field(two, "topic"))).isEqualTo("last");
  }

  @Test
  void nullCountsAsAbsentAndLetsAnotherSpellingThrough() {
    assertThat(JsonBody.field(object("{\"etag\":null}"), "etag")).isNull();
    assertThat(text(JsonBody.field(object("{\"etag\":null,\"ETag\":\"1\"}"), "etag")))
        .isEqualTo("1");
    assertThat(text(JsonBody.field(object("{\"ETag\":\"1\",\"etag\":null}"), "etag")))
        .isEqualTo("1");
  }

  @Test
  void unicodeFoldsOnlyWhereGoFoldsToo() {
    // U+017F (long s) folds to s and U+212A (Kelvin sign) to k in Go's bytes.EqualFold.
    assertThat(text(JsonBody.field(object("{\"\u017Ftatus\":\"DROP\"}"), "status")))
        .isEqualTo("DROP");
    assertThat(text(JsonBody.field(object("{\"\u212Aey\":\"x\"}"), "key"))).isEqualTo("x");
    // The dotted and dotless i are not i in Go, although Java's equalsIgnoreCase says they are.
    assertThat("\u0130d".equalsIgnoreCase("id")).isTrue();
    assertThat(JsonBody.field(object("{\"\u0130d\":\"x\"}"), "id")).isNull();
    assertThat(JsonBody.field(object("{\"\u0131d\":\"x\"}"), "id")).isNull();
  }

  @Test
  void typeChecksStillApplyToAFieldFoundInAnotherCase() {
    assertThatThrownBy(() -> JsonBody.optionalString(object("{\"ETAG\":{}}"), "etag", "[0].etag"))
        .isInstanceOf(DaprApiException.class)
        .hasMessageContaining("[0].etag must be a string, not an object");
  }

  @Test
  void aBodyIsOneJsonValueNamedInErrors() {
    assertThatThrownBy(() -> JsonBody.parse(new byte[0], "GET /dapr/subscribe's answer"))
        .hasMessageContaining("GET /dapr/subscribe's answer is empty");
    assertThatThrownBy(() -> JsonBody.parse("[] []".getBytes(StandardCharsets.UTF_8), "the body"))
        .hasMessageContaining("the body has more content after its JSON value");
  }
}
