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
 * @param appConnection how the runtime reaches its app, null without an app port
 * @param appHealthCheck the app health check, null when not enabled
 */
record MetadataView(
    String appId,
    String runtimeVersion,
    List<Pillion.LoadedComponent> components,
    List<MetadataGateway.ActiveSubscription> subscriptions,
    SortedMap<String, String> extended,
    MetadataGateway.AppConnection appConnection,
    MetadataGateway.AppHealthCheck appHealthCheck) {

  static MetadataView of(MetadataGateway metadata) {
    return new MetadataView(
        metadata.appId(),
        metadata.runtimeVersion(),
        metadata.components(),
        metadata.subscriptions(),
        metadata.extended(),
        metadata.appConnection().orElse(null),
        metadata.appHealthCheck().orElse(null));
  }
}
