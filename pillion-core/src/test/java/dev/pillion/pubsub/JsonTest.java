package dev.pillion.pubsub;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.core.json.JsonReadFeature;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.json.JsonMapper;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** The core's JSON codec, checked against Jackson (strict) as the reference reader. */
class JsonTest {
  private static final ObjectMapper JACKSON =
      JsonMapper.builder()
          .enable(DeserializationFeature.FAIL_ON_TRAILING_TOKENS)
          .disable(JsonReadFeature.ALLOW_NON_NUMERIC_NUMBERS)
          .build();

  @ParameterizedTest
  @ValueSource(
      strings = {
        "{}",
        "[]",
        " {\"a\" : 1 , \"b\":[true,false,null,\"x\"]} ",
        "\"\\u00e9\\ud83d\\ude00 caf\u00e9 \\\"quoted\\\" \\\\ \\/ \\b\\f\\n\\r\\t\"",
        "-0.5e+10",
        "12345678901234567890123",
        "0",
        "[1.0, 1e3, -2E-2, 3.14159]",
        "{\"nested\":{\"deeper\":{\"list\":[[],[{}]]}}}",
        "{\"a\":1,\"a\":2}"
      })
  void readsWhatJacksonReadsAndWritesWhatItReadsBack(String text) throws Exception {
    Object value = Json.parse(utf8(text));
    String written = Json.write(value);

    assertThat(JACKSON.readTree(written)).isEqualTo(JACKSON.readTree(text));
    assertThat(Json.write(Json.parse(utf8(written)))).isEqualTo(written);
  }

  @ParameterizedTest
  @ValueSource(
      strings = {
        "",
        "   ",
        "{",
        "{\"a\":1,}",
        "[1,]",
        "{\"a\" 1}",
        "{a:1}",
        "'x'",
        "01",
        "1.",
        ".5",
        "-",
        "1e",
        "+1",
        "NaN",
        "tru",
        "nul",
        "\"unterminated",
        "\"bad \\x escape\"",
        "\"\\u12\"",
        "\"raw\ncontrol\"",
        "{} trailing",
        "1 2",
        "[1] ]"
      })
  void refusesWhatIsNotOneJsonDocument(String text) {
    assertThatThrownBy(() -> Json.parse(utf8(text)))
        .isInstanceOf(Json.MalformedJsonException.class)
        .hasMessageContaining("at byte");
    assertThat(jacksonReadsOneValue(text)).as("Jackson refuses it too").isFalse();
  }

  private static boolean jacksonReadsOneValue(String text) {
    try {
      return !JACKSON.readTree(text).isMissingNode();
    } catch (Exception e) {
      return false;
    }
  }

  @Test
  void numbersKeepTheirTextSoNothingIsRounded() throws Exception {
    Object value =
        Json.parse(utf8("[12345678901234567890123, 0.1000000000000000055511151231257827]"));

    assertThat(Json.write(value))
        .isEqualTo("[12345678901234567890123,0.1000000000000000055511151231257827]");
    List<?> list = (List<?>) value;
    assertThat(((Json.Number) list.get(0)).integral()).isTrue();
    assertThat(((Json.Number) list.get(1)).integral()).isFalse();
    assertThat(((Json.Number) Json.parse(utf8("-42"))).longValue()).isEqualTo(-42L);
    assertThat(((Json.Number) Json.parse(utf8("2.5e1"))).doubleValue()).isEqualTo(25.0);
  }

  @Test
  void aRepeatedNameKeepsItsFirstPlaceAndItsLastValue() throws Exception {
    Map<?, ?> object = (Map<?, ?>) Json.parse(utf8("{\"a\":1,\"b\":2,\"a\":3}"));

    assertThat(Json.write(object)).isEqualTo("{\"a\":3,\"b\":2}");
  }

  @Test
  void controlCharactersAreEscapedOnWrite() throws Exception {
    String written = Json.write("tab\t nul\u0000 unit\u001f quote\" slash\\");

    assertThat(written).isEqualTo("\"tab\\t nul\\u0000 unit\\u001F quote\\\" slash\\\\\"");
    assertThat(Json.parse(utf8(written))).isEqualTo("tab\t nul\u0000 unit\u001f quote\" slash\\");
  }

  @Test
  void nestingPastTheLimitIsRefusedNotAStackOverflow() {
    String deep = "[".repeat(Json.MAX_DEPTH + 1) + "]".repeat(Json.MAX_DEPTH + 1);
    String allowed = "[".repeat(Json.MAX_DEPTH) + "]".repeat(Json.MAX_DEPTH);

    assertThatThrownBy(() -> Json.parse(utf8(deep)))
        .isInstanceOf(Json.MalformedJsonException.class)
        .hasMessageContaining("nesting deeper than 1000");
    assertThat(Json.isDocument(utf8(allowed))).isTrue();
  }

  @Test
  void textReadsFieldsAsJacksonsAsTextDoes() throws Exception {
    Map<?, ?> object =
        (Map<?, ?>) Json.parse(utf8("{\"s\":\"x\",\"n\":1.5,\"b\":true,\"z\":null,\"o\":{}}"));

    assertThat(Json.text(object.get("s"))).isEqualTo("x");
    assertThat(Json.text(object.get("n"))).isEqualTo("1.5");
    assertThat(Json.text(object.get("b"))).isEqualTo("true");
    assertThat(Json.text(object.get("z"))).isEqualTo("null");
    assertThat(Json.text(object.get("o"))).isEmpty();
    assertThat(Json.text(object.get("absent"), "fallback")).isEqualTo("fallback");
    assertThat(Json.text(object.get("z"), "fallback")).isEqualTo("fallback");
  }

  @Test
  void randomDocumentsReadAsJacksonReadsThem() throws Exception {
    Random random = new Random(20261127);
    for (int i = 0; i < 2_000; i++) {
      String text = randomValue(random, 0);
      JsonNode expected = JACKSON.readTree(text);

      Object value = Json.parse(utf8(text));

      assertThat(JACKSON.readTree(Json.write(value))).as(text).isEqualTo(expected);
    }
  }

  private static String randomValue(Random random, int depth) {
    int kind = random.nextInt(depth > 4 ? 4 : 6);
    return switch (kind) {
      case 0 -> random.nextBoolean() ? "true" : "null";
      case 1 -> String.valueOf(random.nextInt() / (random.nextInt(3) + 1.0));
      case 2 -> String.valueOf(random.nextLong());
      case 3 -> quoted(random);
      case 4 -> {
        StringBuilder array = new StringBuilder("[");
        int size = random.nextInt(4);
        for (int i = 0; i < size; i++) {
          array.append(i > 0 ? ", " : "").append(randomValue(random, depth + 1));
        }
        yield array.append(']').toString();
      }
      default -> {
        StringBuilder object = new StringBuilder("{ ");
        int size = random.nextInt(4);
        for (int i = 0; i < size; i++) {
          object
              .append(i > 0 ? ",\n" : "")
              .append(quoted(random))
              .append(" : ")
              .append(randomValue(random, depth + 1));
        }
        yield object.append('}').toString();
      }
    };
  }

  private static String quoted(Random random) {
    StringBuilder text = new StringBuilder("\"");
    int length = random.nextInt(8);
    for (int i = 0; i < length; i++) {
      int pick = random.nextInt(6);
      switch (pick) {
        case 0 -> text.append("\\n");
        case 1 -> text.append("\\u").append(String.format("%04x", random.nextInt(0xD800)));
        case 2 -> text.append('\u00e9');
        case 3 -> text.append("\\\"");
        default -> text.append((char) ('a' + random.nextInt(26)));
      }
    }
    return text.append('"').toString();
  }

  private static byte[] utf8(String text) {
    return text.getBytes(StandardCharsets.UTF_8);
  }
}
