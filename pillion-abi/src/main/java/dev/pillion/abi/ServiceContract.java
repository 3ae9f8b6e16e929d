package dev.pillion.abi;

import java.util.List;
import java.util.Set;

/**
 * What a component of one kind must export: the service prefix ({@code store}), the methods it must
 * have, the ones it may have, and the ABI versions the host accepts for it.
 *
 * @param service the proto service, e.g. {@code state.Store}
 * @param exportPrefix the prefix of every method export, e.g. {@code store}
 * @param requiredMethods methods every component must export, in snake_case ({@code get})
 * @param optionalMethods methods the host uses when present
 * @param supportedVersions ABI versions accepted for this contract
 */
public record ServiceContract(
    String service,
    String exportPrefix,
    List<String> requiredMethods,
    List<String> optionalMethods,
    Set<AbiVersion> supportedVersions) {

  /** Validates and copies the lists. */
  public ServiceContract {
    requiredMethods = List.copyOf(requiredMethods);
    optionalMethods = List.copyOf(optionalMethods);
    supportedVersions = Set.copyOf(supportedVersions);
  }

  /**
   * The export that implements a method.
   *
   * @param method the method in snake_case, e.g. {@code bulk_get}
   * @return the export name, e.g. {@code store_bulk_get}
   */
  public String exportName(String method) {
    return exportPrefix + "_" + method;
  }

  /**
   * The export that reports the module's ABI version.
   *
   * @return e.g. {@code store_api_version}
   */
  public String versionExport() {
    return exportPrefix + "_api_version";
  }
}
