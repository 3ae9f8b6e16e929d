package dev.pillion.wasm;

import java.util.Objects;

/**
 * What a {@link HostModule} knows about the guest instance it is bound to.
 *
 * @param spec the component's spec (name, limits, grants)
 * @param logger the component's logger ({@code dev.pillion.component.<name>})
 * @param output the component's output budget, shared by all its instances
 */
public record HostModuleContext(ComponentSpec spec, System.Logger logger, OutputBudget output) {
  /** Checks the fields. */
  public HostModuleContext {
    Objects.requireNonNull(spec, "spec");
    Objects.requireNonNull(logger, "logger");
    Objects.requireNonNull(output, "output");
  }

  /**
   * The component's name.
   *
   * @return the name
   */
  public String component() {
    return spec.name();
  }
}
