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
 * @param versionExportOptional whether a module may leave out the version export, and then speaks
 *     the contract's one supported version (a Wasm app's {@code app_api_version})
 */
public record ServiceContract(
    String service,
    String exportPrefix,
    List<String> requiredMethods,
    List<String> optionalMethods,
    Set<AbiVersion> supportedVersions,
    boolean versionExportOptional) {

  /**
   * Validates and copies the lists.
   *
   * @throws IllegalArgumentException when the version export is optional but the contract accepts
   *     more than one version (which one a module speaks would be unknown)
   */
  public ServiceContract {
    requiredMethods = List.copyOf(requiredMethods);
    optionalMethods = List.copyOf(optionalMethods);
    supportedVersions = Set.copyOf(supportedVersions);
    if (versionExportOptional && supportedVersions.size() != 1) {
      throw new IllegalArgumentException(
          service + ": an optional version export needs exactly one supported version");
    }
  }

  /**
   * A contract whose modules must export their version.
   *
   * @param service the proto service
   * @param exportPrefix the prefix of every method export
   * @param requiredMethods methods every component must export
   * @param optionalMethods methods the host uses when present
   * @param supportedVersions ABI versions accepted for this contract
   */
  public ServiceContract(
      String service,
      String exportPrefix,
      List<String> requiredMethods,
      List<String> optionalMethods,
      Set<AbiVersion> supportedVersions) {
    this(service, exportPrefix, requiredMethods, optionalMethods, supportedVersions, false);
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
