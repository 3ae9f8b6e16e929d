package dev.pillion.invoke.resolution;

import static dev.pillion.config.YamlFields.scalar;
import static dev.pillion.config.YamlFields.string;

import dev.pillion.config.ComponentConfigException;
import dev.pillion.invoke.resolution.spi.NameResolver;
import dev.pillion.invoke.resolution.spi.NameResolverFactory;
import dev.pillion.invoke.resolution.spi.ResolverConfiguration;
import java.nio.file.InvalidPathException;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;

/**
 * The name resolvers a runtime can use, by the names {@code spec.nameResolution.component} selects
 * them with: {@code mdns} and {@code local} (the same-machine registry, {@link
 * LocalRegistryResolver}) and {@code kubernetes} ({@link KubernetesDnsResolver}), plus any an
 * application adds.
 */
public final class NameResolvers {
  private final Map<String, NameResolverFactory> factories;

  private NameResolvers(Map<String, NameResolverFactory> factories) {
    this.factories = Map.copyOf(factories);
  }

  /**
   * The built-in resolvers.
   *
   * @return {@code mdns}/{@code local} and {@code kubernetes}
   */
  public static NameResolvers builtIn() {
    return of(List.of());
  }

  /**
   * The built-in resolvers and others.
   *
   * @param added factories of further resolvers
   * @return the resolvers
   * @throws IllegalArgumentException when two factories claim one name
   */
  public static NameResolvers of(List<NameResolverFactory> added) {
    Map<String, NameResolverFactory> factories = new LinkedHashMap<>();
    for (NameResolverFactory factory :
        concat(List.of(new LocalRegistryFactory(), new KubernetesFactory()), added)) {
      for (String name : factory.names()) {
        if (factories.putIfAbsent(name, factory) != null) {
          throw new IllegalArgumentException("name resolver '" + name + "' is registered twice");
        }
      }
    }
    return new NameResolvers(factories);
  }

  /**
   * The names that select a resolver.
   *
   * @return the names, sorted
   */
  public Set<String> names() {
    return new TreeSet<>(factories.keySet());
  }

  /**
   * Makes the resolver a specification selects.
   *
   * @param spec the Configuration's choice
   * @param internalGrpcPort the internal gRPC port of this runtime when fixed ({@code
   *     --dapr-internal-grpc-port}), else {@link ResolverConfiguration#DAPR_INTERNAL_GRPC_PORT}:
   *     DNS resolution assumes every runtime listens on it, as daprd does
   * @return the resolver
   * @throws ComponentConfigException naming the file, Configuration and resolver when the name is
   *     unknown or its configuration invalid
   */
  public NameResolver create(NameResolutionSpec spec, int internalGrpcPort) {
    NameResolverFactory factory = factories.get(spec.component());
    if (factory == null) {
      throw new ComponentConfigException(
          spec.where()
              + ": spec.nameResolution.component '"
              + spec.component()
              + "' is not a name resolver Pillion has (known: "
              + String.join(", ", names())
              + ")");
    }
    return factory.create(
        new ResolverConfiguration(
            spec.component(), spec.configuration(), spec.where(), internalGrpcPort));
  }

  private static List<NameResolverFactory> concat(
      List<NameResolverFactory> first, List<NameResolverFactory> second) {
    return java.util.stream.Stream.concat(first.stream(), second.stream()).toList();
  }

  /** {@code mdns} and {@code local}: the same-machine registry directory. */
  private static final class LocalRegistryFactory implements NameResolverFactory {
    @Override
    public Set<String> names() {
      return Set.of("mdns", "local");
    }

    @Override
    public NameResolver create(ResolverConfiguration configuration) {
      configuration.refuseUnknown(Set.of("directory"));
      LocalRegistryResolver.Builder builder =
          LocalRegistryResolver.builder().name(configuration.component());
      Object directory = configuration.values().get("directory");
      if (directory != null) {
        String text =
            string(directory, configuration.at(), "spec.nameResolution.configuration.directory");
        try {
          builder.directory(Path.of(text));
        } catch (InvalidPathException e) {
          throw new ComponentConfigException(
              configuration.at()
                  + ": spec.nameResolution.configuration.directory '"
                  + text
                  + "' is not a path: "
                  + e.getReason());
        }
      }
      return builder.build();
    }
  }

  /** {@code kubernetes}: daprd's DNS names for the operator's per-app Services. */
  private static final class KubernetesFactory implements NameResolverFactory {
    @Override
    public Set<String> names() {
      return Set.of("kubernetes");
    }

    @Override
    public NameResolver create(ResolverConfiguration configuration) {
      configuration.refuseUnknown(Set.of("clusterDomain", "template"));
      if (configuration.values().get("template") != null) {
        throw new ComponentConfigException(
            configuration.at()
                + ": spec.nameResolution.configuration.template (a Go template of the address) is"
                + " not supported by Pillion; remove it to use <appId>-dapr.<namespace>.svc."
                + "<clusterDomain>");
      }
      KubernetesDnsResolver.Builder builder =
          KubernetesDnsResolver.builder().port(configuration.internalGrpcPort());
      Object clusterDomain = configuration.values().get("clusterDomain");
      // daprd treats an empty clusterDomain as unset.
      if (clusterDomain != null) {
        String text =
            scalar(
                clusterDomain,
                configuration.at(),
                "spec.nameResolution.configuration.clusterDomain");
        if (!text.isEmpty()) {
          try {
            builder.clusterDomain(text);
          } catch (IllegalArgumentException e) {
            throw new ComponentConfigException(
                configuration.at()
                    + ": spec.nameResolution.configuration.clusterDomain: "
                    + e.getMessage());
          }
        }
      }
      return builder.build();
    }
  }
}
