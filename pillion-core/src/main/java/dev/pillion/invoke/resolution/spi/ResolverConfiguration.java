package dev.pillion.invoke.resolution.spi;

import dev.pillion.config.YamlFields;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Set;

/**
 * What a {@link NameResolverFactory} makes its resolver from: the {@code
 * spec.nameResolution.configuration} mapping (SnakeYAML's plain values) and what the runtime knows
 * about itself.
 *
 * @param component the resolver's name as the Configuration selected it
 * @param values the {@code configuration} mapping, empty when absent
 * @param where the file and Configuration it came from, for messages ({@code defaults} when none
 *     selected a resolver)
 * @param internalGrpcPort the internal gRPC port every runtime is assumed to listen on when the
 *     resolver cannot learn an instance's own (as daprd's DNS resolution assumes its own port)
 */
public record ResolverConfiguration(
    String component, Map<String, Object> values, String where, int internalGrpcPort) {
  /** Daprd's default internal gRPC port, {@code dapr-internal} in its Kubernetes services. */
  public static final int DAPR_INTERNAL_GRPC_PORT = 50002;

  /** Checks and copies the fields. */
  public ResolverConfiguration {
    if (component == null || component.isEmpty()) {
      throw new IllegalArgumentException("component is empty");
    }
    if (where == null) {
      throw new IllegalArgumentException("where is missing");
    }
    if (internalGrpcPort < 1 || internalGrpcPort > 65535) {
      throw new IllegalArgumentException(
          "internal gRPC port " + internalGrpcPort + " is not 1 to 65535");
    }
    values = java.util.Collections.unmodifiableMap(new LinkedHashMap<>(values));
  }

  /**
   * Refuses configuration fields the resolver does not have.
   *
   * @param known the resolver's field names
   * @throws dev.pillion.config.ComponentConfigException naming the first unknown field
   */
  public void refuseUnknown(Set<String> known) {
    YamlFields.unknownFields(values, known, at(), "spec.nameResolution.configuration.");
  }

  /**
   * Where the configuration is, for messages: the file and Configuration, and the resolver.
   *
   * @return the location
   */
  public String at() {
    return where + ", name resolution '" + component + "'";
  }
}
