package dev.pillion.invoke.resolution.spi;

/**
 * Makes a name resolver from the {@code configuration} of a {@code kind: Configuration}'s {@code
 * spec.nameResolution}; one per resolver name ({@code component}).
 */
public interface NameResolverFactory {
  /**
   * The names {@code spec.nameResolution.component} selects this resolver by.
   *
   * @return one name or more
   */
  java.util.Set<String> names();

  /**
   * Makes the resolver.
   *
   * @param configuration its configuration
   * @return the resolver
   * @throws dev.pillion.config.ComponentConfigException naming the file and field when the
   *     configuration is invalid
   */
  NameResolver create(ResolverConfiguration configuration);
}
