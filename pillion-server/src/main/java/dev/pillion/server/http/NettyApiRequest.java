package dev.pillion.server.http;

import dev.pillion.server.spi.HttpApiRequest;
import dev.pillion.server.spi.HttpRoute;
import io.netty.buffer.ByteBuf;
import io.netty.handler.codec.http.FullHttpRequest;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/** A Netty request as a route's handler sees it; path parameters and metadata are read lazily. */
final class NettyApiRequest implements HttpApiRequest {
  private static final String METADATA_PREFIX = "metadata.";

  private final FullHttpRequest request;
  private final RequestTarget target;
  private final Optional<HttpRoute> route;
  private Map<String, String> pathParameters;
  private Map<String, String> metadata;

  NettyApiRequest(FullHttpRequest request, RequestTarget target, Optional<HttpRoute> route) {
    this.request = request;
    this.target = target;
    this.route = route;
  }

  @Override
  public String method() {
    return request.method().name();
  }

  @Override
  public String rawPath() {
    return target.rawPath();
  }

  @Override
  public List<String> segments() {
    return target.segments();
  }

  @Override
  public String pathParameter(String name) {
    if (pathParameters == null) {
      pathParameters = route.map(r -> r.parameters(target.segments())).orElse(Map.of());
    }
    String value = pathParameters.get(name);
    if (value == null) {
      throw new IllegalArgumentException(
          "the route "
              + route.map(HttpRoute::toString).orElse("(none)")
              + " has no path parameter '"
              + name
              + "'");
    }
    return value;
  }

  @Override
  public String queryParameter(String name) {
    return target.parameter(name);
  }

  @Override
  public Map<String, String> metadata() {
    if (metadata == null) {
      Map<String, String> found = new LinkedHashMap<>();
      target
          .parameters()
          .forEach(
              (name, values) -> {
                if (name.startsWith(METADATA_PREFIX) && !values.isEmpty()) {
                  found.put(name.substring(METADATA_PREFIX.length()), values.get(0));
                }
              });
      metadata = Collections.unmodifiableMap(found);
    }
    return metadata;
  }

  @Override
  public Optional<String> header(String name) {
    return Optional.ofNullable(request.headers().get(name));
  }

  @Override
  public String rawQuery() {
    return target.rawQuery();
  }

  @Override
  public Map<String, List<String>> headers() {
    Map<String, List<String>> all = new LinkedHashMap<>();
    for (Map.Entry<String, String> header : request.headers()) {
      all.computeIfAbsent(
              header.getKey().toLowerCase(java.util.Locale.ROOT), n -> new java.util.ArrayList<>())
          .add(header.getValue());
    }
    return Collections.unmodifiableMap(all);
  }

  @Override
  public byte[] body() {
    ByteBuf content = request.content();
    byte[] bytes = new byte[content.readableBytes()];
    content.getBytes(content.readerIndex(), bytes);
    return bytes;
  }
}
