package dev.pillion.server.http;

import static org.assertj.core.api.Assertions.assertThat;

import com.code_intelligence.jazzer.junit.FuzzTest;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.pillion.Pillion;
import dev.pillion.config.ComponentDefinition;
import dev.pillion.server.DaprApi;
import dev.pillion.server.HttpLimits;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.embedded.EmbeddedChannel;
import io.netty.handler.codec.http.DefaultFullHttpRequest;
import io.netty.handler.codec.http.FullHttpResponse;
import io.netty.handler.codec.http.HttpClientCodec;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpMethod;
import io.netty.handler.codec.http.HttpObjectAggregator;
import io.netty.handler.codec.http.HttpVersion;
import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.logging.Handler;
import java.util.logging.Level;
import java.util.logging.LogRecord;
import java.util.logging.Logger;
import org.junit.jupiter.api.AfterAll;

/**
 * Fuzzes the HTTP request mapping: arbitrary methods, targets, headers and bodies go through the
 * real pipeline (guard, codec, aggregator, API handler) on an {@link EmbeddedChannel}, over a
 * runtime with the bundled in-memory state store and pub/sub broker.
 *
 * <p>The input's first byte picks the mode. <b>Request</b> (even): the rest is a request written
 * one part per line (LF): the method, the target, then {@code name: value} header lines, an empty
 * line and the body; the harness frames it (its own {@code Content-Length}, no line breaks inside a
 * part), so it is exactly one request and must get exactly one response. <b>Raw</b> (odd): the rest
 * is sent as is, in up to three writes. In both, every response must be a well-formed HTTP
 * response, with daprd's JSON error body when it is an error, never a 500 (a 500 is a failure
 * Pillion did not anticipate), no exception may escape, and once the timeouts have passed the
 * connection must be closed: no request is left hanging.
 *
 * <p>Seeds and findings live in {@code HttpRequestFuzzTestInputs}.
 */
class HttpRequestFuzzTest {
  private static final ObjectMapper JSON = new ObjectMapper();
  private static final HttpLimits LIMITS =
      new HttpLimits(64 * 1024, 4 * 1024, Duration.ofSeconds(60), Duration.ofMinutes(5));
  private static final Set<String> FRAMING_HEADERS =
      Set.of("content-length", "transfer-encoding", "expect", "connection", "upgrade");
  private static final int RUNTIME_EXECUTIONS = 5_000;

  /** Failures the handler did not anticipate: it answers 500 (or nothing, closed) and logs. */
  private static final List<LogRecord> UNEXPECTED = new CopyOnWriteArrayList<>();

  private static final Logger HANDLER_LOG = Logger.getLogger(HttpApiHandler.class.getName());

  static {
    HANDLER_LOG.setLevel(Level.ALL);
    HANDLER_LOG.addHandler(
        new Handler() {
          @Override
          public void publish(LogRecord record) {
            if (record.getMessage() != null
                && record.getMessage().startsWith("unexpected failure")) {
              UNEXPECTED.add(record);
            }
          }

          @Override
          public void flush() {}

          @Override
          public void close() {}
        });
  }

  private static Pillion runtime;
  private static HttpApiHandler handler;
  private static int executions;

  private static HttpApiHandler handler() {
    if (runtime == null || executions++ % RUNTIME_EXECUTIONS == 0) {
      // A fresh runtime now and then, so the stores do not grow over a long fuzzing run.
      closeRuntime();
      runtime =
          Pillion.builder()
              .appId("fuzz")
              .component(ComponentDefinition.builder("statestore", "state.in-memory").build())
              .component(ComponentDefinition.builder("pubsub", "pubsub.in-memory").build())
              .build();
      handler =
          new HttpApiHandler(
              DaprApi.builder().runtime(runtime).runtimeVersion("fuzz").build(), LIMITS);
    }
    return handler;
  }

  @AfterAll
  static void closeRuntime() {
    if (runtime != null) {
      runtime.close();
      runtime = null;
    }
  }

  @FuzzTest
  void everyRequestGetsOneWellFormedAnswer(byte[] input) throws Exception {
    UNEXPECTED.clear();
    EmbeddedChannel server = new EmbeddedChannel();
    HttpServerPipeline.configure(server.pipeline(), LIMITS, handler());
    try {
      if (input.length > 0 && input[0] % 2 == 0) {
        byte[] request = frame(Arrays.copyOfRange(input, 1, input.length));
        server.writeInbound(Unpooled.wrappedBuffer(request));
        String method = new String(request, StandardCharsets.ISO_8859_1).split(" ", 2)[0];
        List<FullHttpResponse> responses = responses(server, Optional.of(method), true);
        assertThat(responses).as("responses to %s", printable(request)).hasSize(1);
        checkAll(responses, request, method.equals("HEAD"));
      } else {
        byte[] raw = input.length == 0 ? input : Arrays.copyOfRange(input, 1, input.length);
        int third = raw.length / 3;
        for (byte[] part :
            List.of(
                Arrays.copyOfRange(raw, 0, third),
                Arrays.copyOfRange(raw, third, 2 * third),
                Arrays.copyOfRange(raw, 2 * third, raw.length))) {
          if (part.length > 0 && server.isOpen()) {
            server.writeInbound(Unpooled.wrappedBuffer(part));
          }
        }
        // With HEAD, responses carry a Content-Length but no body: they cannot be split apart
        // without knowing which requests were HEAD, so only the other checks apply.
        boolean head = new String(raw, StandardCharsets.ISO_8859_1).contains("HEAD");
        checkAll(responses(server, Optional.empty(), !head), raw, false);
      }
      server.checkException();
      // Past every timeout the connection is gone: nothing waits forever.
      server.advanceTimeBy(1, TimeUnit.HOURS);
      server.runScheduledPendingTasks();
      server.runPendingTasks();
      server.checkException();
      assertThat(server.isOpen()).as("connection still open after the timeouts").isFalse();
    } finally {
      server.finishAndReleaseAll();
    }
    if (!UNEXPECTED.isEmpty()) {
      LogRecord first = UNEXPECTED.get(0);
      throw new AssertionError(
          "a failure the handler did not anticipate: " + first.getMessage(), first.getThrown());
    }
  }

  /** Builds exactly one well-framed request from the line-per-part input. */
  private static byte[] frame(byte[] input) {
    List<byte[]> lines = new ArrayList<>();
    int start = 0;
    int bodyStart = input.length;
    for (int i = 0; i < input.length; i++) {
      if (input[i] == '\n') {
        lines.add(Arrays.copyOfRange(input, start, i));
        start = i + 1;
        if (lines.size() >= 2 && lines.get(lines.size() - 1).length == 0) {
          bodyStart = start;
          break;
        }
      }
    }
    if (bodyStart == input.length && start < input.length) {
      lines.add(Arrays.copyOfRange(input, start, input.length));
    }
    byte[] body = Arrays.copyOfRange(input, Math.min(bodyStart, input.length), input.length);
    String method = lines.isEmpty() ? "" : token(lines.get(0));
    String target = lines.size() < 2 ? "" : noSpaces(lines.get(1));
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    write(out, (method.isEmpty() ? "GET" : method) + " " + (target.isEmpty() ? "/" : target));
    write(out, " HTTP/1.1\r\nHost: fuzz\r\n");
    for (int i = 2; i < lines.size(); i++) {
      byte[] line = lines.get(i);
      int colon = indexOf(line, (byte) ':');
      if (colon <= 0) {
        continue;
      }
      String name = token(Arrays.copyOfRange(line, 0, colon));
      if (name.isEmpty() || FRAMING_HEADERS.contains(name.toLowerCase(Locale.ROOT))) {
        continue;
      }
      write(out, name + ":" + noLineBreaks(Arrays.copyOfRange(line, colon + 1, line.length)));
      write(out, "\r\n");
    }
    write(out, "Content-Length: " + body.length + "\r\n\r\n");
    out.writeBytes(body);
    return out.toByteArray();
  }

  /**
   * The responses written so far, decoded as a client would: one that sent the request with the
   * given method, which decides whether a response has a body (not for HEAD).
   */
  private static List<FullHttpResponse> responses(
      EmbeddedChannel server, Optional<String> method, boolean decode) {
    EmbeddedChannel client =
        new EmbeddedChannel(new HttpClientCodec(), new HttpObjectAggregator(1 << 24));
    List<FullHttpResponse> responses = new ArrayList<>();
    try {
      method.ifPresent(
          m -> {
            client.writeOutbound(
                new DefaultFullHttpRequest(HttpVersion.HTTP_1_1, HttpMethod.valueOf(m), "/"));
            client.releaseOutbound();
          });
      for (Object written = server.readOutbound();
          written != null;
          written = server.readOutbound()) {
        if (!decode) {
          ((ByteBuf) written).release();
          continue;
        }
        client.writeInbound(written);
      }
      client.finish();
      for (Object read = client.readInbound(); read != null; read = client.readInbound()) {
        responses.add((FullHttpResponse) read);
      }
      return responses;
    } finally {
      client.finishAndReleaseAll();
    }
  }

  private static void checkAll(List<FullHttpResponse> responses, byte[] request, boolean head)
      throws Exception {
    try {
      for (FullHttpResponse response : responses) {
        check(response, request, head);
      }
    } finally {
      responses.forEach(FullHttpResponse::release);
    }
  }

  private static void check(FullHttpResponse response, byte[] request, boolean head)
      throws Exception {
    String body = response.content().toString(StandardCharsets.UTF_8);
    String context = "response " + response.status() + " " + body + " to " + printable(request);
    assertThat(response.decoderResult().isSuccess()).as(context).isTrue();
    assertThat(response.headers().get(HttpHeaderNames.CONTENT_LENGTH)).as(context).isNotNull();
    int status = response.status().code();
    // 100 Continue (raw mode can send Expect) and 200-499, 501-599; a 500 is a bug, except daprd's
    // own 500 for an invocation whose target app cannot be found (a dapr-app-id header to an app
    // no runtime serves, as the seed input invoke-by-header sends).
    assertThat(status).as(context).isBetween(100, 599);
    if (status == 500 && head) {
      // HEAD answers carry no body to name the error, so only the header that allows it is checked.
      assertThat(new String(request, StandardCharsets.ISO_8859_1).toLowerCase(Locale.ROOT))
          .as(context)
          .contains("dapr-app-id");
    } else if (status == 500) {
      assertThat(body).as(context).startsWith("{\"errorCode\":\"ERR_DIRECT_INVOKE\"");
    }
    if (head) {
      // The answer to HEAD has the headers of the answer to GET, without its body.
      assertThat(response.content().readableBytes()).as(context).isZero();
      return;
    }
    assertThat(response.headers().get(HttpHeaderNames.CONTENT_LENGTH))
        .as(context)
        .isEqualTo(Integer.toString(response.content().readableBytes()));
    if (status >= 400) {
      assertThat(response.headers().get(HttpHeaderNames.CONTENT_TYPE))
          .as(context)
          .isEqualTo("application/json");
      JsonNode error = JSON.readTree(body);
      assertThat(error.path("errorCode").isTextual()).as(context).isTrue();
      assertThat(error.path("message").isTextual()).as(context).isTrue();
    }
  }

  /** The characters of an HTTP token (RFC 9110), others dropped. */
  private static String token(byte[] bytes) {
    StringBuilder out = new StringBuilder();
    for (byte b : bytes) {
      char c = (char) (b & 0xff);
      if (c > 0x20 && c < 0x7f && "\"(),/:;<=>?@[\\]{}".indexOf(c) < 0) {
        out.append(c);
      }
    }
    return out.toString();
  }

  /** The bytes without whitespace (which would split the request line) or line breaks. */
  private static String noSpaces(byte[] bytes) {
    StringBuilder out = new StringBuilder();
    for (byte b : bytes) {
      char c = (char) (b & 0xff);
      if (c != ' ' && c != '\t' && c != '\r' && c != '\n' && c != 0x0b && c != 0x0c) {
        out.append(c);
      }
    }
    return out.toString();
  }

  private static String noLineBreaks(byte[] bytes) {
    StringBuilder out = new StringBuilder();
    for (byte b : bytes) {
      char c = (char) (b & 0xff);
      if (c != '\r' && c != '\n') {
        out.append(c);
      }
    }
    return out.toString();
  }

  private static int indexOf(byte[] bytes, byte b) {
    for (int i = 0; i < bytes.length; i++) {
      if (bytes[i] == b) {
        return i;
      }
    }
    return -1;
  }

  private static void write(ByteArrayOutputStream out, String text) {
    out.writeBytes(text.getBytes(StandardCharsets.ISO_8859_1));
  }

  private static String printable(byte[] bytes) {
    return RequestTarget.printable(new String(bytes, StandardCharsets.ISO_8859_1));
  }
}
