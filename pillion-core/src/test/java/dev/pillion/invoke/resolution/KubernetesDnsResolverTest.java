package dev.pillion.invoke.resolution;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.net.InetAddress;
import java.net.UnknownHostException;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class KubernetesDnsResolverTest {
  private final List<String> looked = new ArrayList<>();

  private HostLookup fake(Map<String, List<String>> records) {
    return host -> {
      looked.add(host);
      List<String> addresses = records.get(host);
      if (addresses == null) {
        throw new UnknownHostException(host + ": Name or service not known");
      }
      List<InetAddress> result = new ArrayList<>();
      for (String address : addresses) {
        result.add(InetAddress.getByName(address));
      }
      return result;
    };
  }

  @Test
  void resolvesDaprdsServiceNameOnTheInternalPort() {
    KubernetesDnsResolver resolver =
        KubernetesDnsResolver.builder()
            .lookup(fake(Map.of("orders-dapr.shop.svc.cluster.local", List.of("10.1.0.7"))))
            .build();

    assertThat(resolver.resolve("orders", "shop")).isEqualTo(new AppAddress("10.1.0.7", 50002));
    assertThat(looked).containsExactly("orders-dapr.shop.svc.cluster.local");
  }

  @Test
  void turnsRoundRobinOverThePodsAddresses() {
    KubernetesDnsResolver resolver =
        KubernetesDnsResolver.builder()
            .clusterDomain("corp.example")
            .port(6000)
            .lookup(
                fake(
                    Map.of(
                        "orders-dapr.default.svc.corp.example",
                        List.of("10.1.0.7", "10.1.0.8", "fd00::9"))))
            .build();

    List<String> authorities = new ArrayList<>();
    for (int i = 0; i < 6; i++) {
      authorities.add(resolver.resolve("orders", "default").authority());
    }
    assertThat(authorities)
        .containsExactly(
            "10.1.0.7:6000",
            "10.1.0.8:6000",
            "[fd00:0:0:0:0:0:0:9]:6000",
            "10.1.0.7:6000",
            "10.1.0.8:6000",
            "[fd00:0:0:0:0:0:0:9]:6000");
  }

  @Test
  void aNameWithoutAddressIsAnAppNotFoundNamingIt() {
    KubernetesDnsResolver resolver = KubernetesDnsResolver.builder().lookup(fake(Map.of())).build();

    assertThatThrownBy(() -> resolver.resolve("ghost", "default"))
        .isInstanceOf(AppNotFoundException.class)
        .hasMessageContaining("app id 'ghost' in namespace 'default' not found")
        .hasMessageContaining("ghost-dapr.default.svc.cluster.local");
  }

  @Test
  void badTargetsAreRefusedBeforeAnyLookup() {
    KubernetesDnsResolver resolver = KubernetesDnsResolver.builder().lookup(fake(Map.of())).build();

    assertThatThrownBy(() -> resolver.resolve("orders.shop", "default"))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("contains a dot");
    assertThatThrownBy(() -> resolver.resolve("", "default"))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("target app id is empty");
    assertThat(looked).isEmpty();
  }
}
