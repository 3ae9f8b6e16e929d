package dev.pillion.abi;

import java.util.Optional;

/** The versions of the component ABI the host speaks. See docs/abi.md. */
public enum AbiVersion {
  /**
   * go-plugin v0.1 as-is: the guest keeps ownership of response memory and cannot report errors (a
   * failure reads as an empty response).
   */
  V1(1),
  /**
   * Pillion: errors are flagged by bit 31 of the length, and the host frees every response block.
   */
  V2(2);

  private final long number;

  AbiVersion(long number) {
    this.number = number;
  }

  /**
   * The number a module returns from its {@code <service>_api_version} export.
   *
   * @return the version number
   */
  public long number() {
    return number;
  }

  /**
   * Looks up a version by the number a module reports.
   *
   * @param number the value returned by {@code <service>_api_version}
   * @return the version, or empty if the host does not support it
   */
  public static Optional<AbiVersion> of(long number) {
    for (AbiVersion version : values()) {
      if (version.number == number) {
        return Optional.of(version);
      }
    }
    return Optional.empty();
  }

  /**
   * Whether the guest reports errors (and the host must free responses) in this version.
   *
   * @return true for version 2
   */
  public boolean hostFreesResponses() {
    return this == V2;
  }
}
