package dev.pillion.server.api.runtime;

import dev.pillion.Pillion;
import dev.pillion.server.MetadataGateway;
import java.util.List;
import java.util.SortedMap;

/**
 * What a metadata request reports, read once for either protocol to render.
 *
 * @param appId the app id
 * @param runtimeVersion the runtime version
 * @param components the loaded components with daprd's capabilities
 * @param subscriptions the active subscriptions
 * @param extended the extended metadata
 */
record MetadataView(
    String appId,
    String runtimeVersion,
    List<Pillion.LoadedComponent> components,
    List<MetadataGateway.ActiveSubscription> subscriptions,
    SortedMap<String, String> extended) {

  static MetadataView of(MetadataGateway metadata) {
    return new MetadataView(
        metadata.appId(),
        metadata.runtimeVersion(),
        metadata.components(),
        metadata.subscriptions(),
        metadata.extended());
  }
}
