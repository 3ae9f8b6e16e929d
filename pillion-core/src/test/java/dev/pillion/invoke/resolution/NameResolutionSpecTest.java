package dev.pillion.invoke.resolution;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.pillion.config.ComponentConfigException;
import dev.pillion.config.ComponentYaml;
import dev.pillion.invoke.resolution.spi.NameResolver;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class NameResolutionSpecTest {
  @TempDir Path resources;

  private NameResolutionSpec read(String yaml) throws IOException {
    Files.writeString(resources.resolve("config.yaml"), yaml);
    return NameResolutionSpec.read(ComponentYaml.create().loadResources(resources).documents());
  }

  private static String configuration(String nameResolution) {
    return """
        apiVersion: dapr.io/v1alpha1
        kind: Configuration
        metadata: {name: appconfig}
        spec:
          tracing: {samplingRate: "1"}
        """
        + nameResolution.indent(2);
  }

  @Test
  void withoutNameResolutionTheSameMachineRegistryIsUsed() throws IOException {
    NameResolutionSpec spec = read(configuration(""));

    assertThat(spec).isEqualTo(NameResolutionSpec.defaults());
    try (NameResolver resolver = NameResolvers.builtIn().create(spec, 50002)) {
      assertThat(resolver).isInstanceOf(LocalRegistryResolver.class);
      assertThat(resolver.name()).isEqualTo("mdns");
    }
  }

  @Test
  void mdnsSelectsTheRegistryWithItsDirectory() throws IOException {
    Path registry = resources.resolve("registry");
    NameResolutionSpec spec =
        read(
            configuration(
                "nameResolution:\n  component: mdns\n  configuration:\n    directory: "
                    + registry
                    + "\n"));

    try (NameResolver resolver = NameResolvers.builtIn().create(spec, 50002)) {
      assertThat(((LocalRegistryResolver) resolver).directory()).isEqualTo(registry);
    }
  }

  @Test
  void kubernetesSelectsDnsWithTheClusterDomainAndTheRuntimesPort() throws IOException {
    NameResolutionSpec spec =
        read(
            configuration(
                """
                nameResolution:
                  component: kubernetes
                  version: v1
                  configuration: {clusterDomain: corp.example}
                """));

    assertThat(spec.component()).isEqualTo("kubernetes");
    assertThat(spec.where()).contains("config.yaml").contains("configuration 'appconfig'");
    try (NameResolver resolver = NameResolvers.builtIn().create(spec, 6100)) {
      KubernetesDnsResolver dns = (KubernetesDnsResolver) resolver;
      assertThat(dns.hostName("orders", "shop")).isEqualTo("orders-dapr.shop.svc.corp.example");
    }
  }

  @Test
  void anUnknownResolverIsAnErrorNamingItAndTheKnownOnes() throws IOException {
    NameResolutionSpec spec = read(configuration("nameResolution: {component: consul}\n"));

    assertThatThrownBy(() -> NameResolvers.builtIn().create(spec, 50002))
        .isInstanceOf(ComponentConfigException.class)
        .hasMessageContaining("config.yaml")
        .hasMessageContaining("spec.nameResolution.component 'consul' is not a name resolver")
        .hasMessageContaining("known: kubernetes, local, mdns");
  }

  @Test
  void malformedSectionsAreErrorsNamingTheField() {
    assertThatThrownBy(() -> read(configuration("nameResolution: {configuration: {}}\n")))
        .isInstanceOf(ComponentConfigException.class)
        .hasMessageContaining("configuration 'appconfig'")
        .hasMessageContaining("spec.nameResolution.component is missing");
    assertThatThrownBy(() -> read(configuration("nameResolution: {component: mdns, port: 1}\n")))
        .isInstanceOf(ComponentConfigException.class)
        .hasMessageContaining("unknown field 'spec.nameResolution.port'");
    assertThatThrownBy(
            () -> read(configuration("nameResolution: {component: mdns, version: v2}\n")))
        .isInstanceOf(ComponentConfigException.class)
        .hasMessageContaining("spec.nameResolution.version 'v2' is not supported");
    assertThatThrownBy(
            () -> read(configuration("nameResolution: {component: mdns, configuration: [a]}\n")))
        .isInstanceOf(ComponentConfigException.class)
        .hasMessageContaining("spec.nameResolution.configuration must be a mapping");
    assertThatThrownBy(() -> read(configuration("nameResolution: local\n")))
        .isInstanceOf(ComponentConfigException.class)
        .hasMessageContaining("spec.nameResolution must be a mapping");
  }

  @Test
  void resolverConfigurationIsCheckedByTheResolver() throws IOException {
    NameResolutionSpec unknownKey =
        read(configuration("nameResolution: {component: mdns, configuration: {ttl: 5}}\n"));
    assertThatThrownBy(() -> NameResolvers.builtIn().create(unknownKey, 50002))
        .isInstanceOf(ComponentConfigException.class)
        .hasMessageContaining("name resolution 'mdns'")
        .hasMessageContaining("unknown field 'spec.nameResolution.configuration.ttl'");

    NameResolutionSpec template =
        read(
            configuration(
                "nameResolution: {component: kubernetes, configuration: {template: '{{.ID}}'}}\n"));
    assertThatThrownBy(() -> NameResolvers.builtIn().create(template, 50002))
        .isInstanceOf(ComponentConfigException.class)
        .hasMessageContaining("spec.nameResolution.configuration.template")
        .hasMessageContaining("not supported by Pillion");

    NameResolutionSpec badDomain =
        read(
            configuration(
                "nameResolution: {component: kubernetes, configuration: {clusterDomain: .x.}}\n"));
    assertThatThrownBy(() -> NameResolvers.builtIn().create(badDomain, 50002))
        .isInstanceOf(ComponentConfigException.class)
        .hasMessageContaining("spec.nameResolution.configuration.clusterDomain");
  }

  @Test
  void twoConfigurationsSelectingAResolverAreAnError() throws IOException {
    Files.writeString(
        resources.resolve("a.yaml"), configuration("nameResolution: {component: mdns}\n"));
    Files.writeString(
        resources.resolve("b.yaml"),
        configuration("nameResolution: {component: kubernetes}\n").replace("appconfig", "other"));

    assertThatThrownBy(
            () ->
                NameResolutionSpec.read(
                    ComponentYaml.create().loadResources(resources).documents()))
        .isInstanceOf(ComponentConfigException.class)
        .hasMessageContaining("b.yaml")
        .hasMessageContaining("spec.nameResolution is set a second time")
        .hasMessageContaining("a.yaml");
  }
}
