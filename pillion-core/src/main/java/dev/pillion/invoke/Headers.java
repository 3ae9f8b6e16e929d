package dev.pillion.invoke;

import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;

/** Header maps of invocations: names lower-cased (HTTP/2 and gRPC metadata are), values kept. */
final class Headers {
  private Headers() {}

  static void add(Map<String, List<String>> headers, String name, String value) {
    Objects.requireNonNull(name, "header name");
    Objects.requireNonNull(value, "header value");
    if (name.isEmpty()) {
      throw new IllegalArgumentException("a header name is empty");
    }
    headers.computeIfAbsent(name.toLowerCase(Locale.ROOT), n -> new ArrayList<>(1)).add(value);
  }

  /** The first value of a header of a frozen map, by a name in any case. */
  static Optional<String> first(Map<String, List<String>> headers, String name) {
    List<String> values = headers.get(name.toLowerCase(Locale.ROOT));
    return values == null || values.isEmpty() ? Optional.empty() : Optional.of(values.get(0));
  }

  static Map<String, List<String>> freeze(Map<String, List<String>> headers) {
    if (headers.isEmpty()) {
      return Map.of();
    }
    Map<String, List<String>> copy = new LinkedHashMap<>();
    headers.forEach((name, values) -> copy.put(name, List.copyOf(values)));
    return Collections.unmodifiableMap(copy);
  }
}
