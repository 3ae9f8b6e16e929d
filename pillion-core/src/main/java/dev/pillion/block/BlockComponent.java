package dev.pillion.block;

import java.util.Set;

/**
 * What every building block's component SPI has in common ({@code StateComponent}, {@code
 * PubSubComponent}, {@code SecretStoreComponent} extend it): a name, the features Dapr's metadata
 * API lists, whether its calls may block ({@link MayBlock}), and a close.
 */
public interface BlockComponent extends AutoCloseable, MayBlock {
  /**
   * The component's name ({@code metadata.name} in its YAML).
   *
   * @return the name
   */
  String name();

  /**
   * The features the component reports, as Dapr's metadata API lists them.
   *
   * @return the feature strings
   */
  Set<String> features();

  /** Releases the component's resources; idempotent. */
  @Override
  void close();
}
