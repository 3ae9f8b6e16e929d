package dev.pillion.state.conformance;

import dev.pillion.abi.state.DeleteRequest;
import dev.pillion.abi.state.GetRequest;
import dev.pillion.abi.state.GetResponse;
import dev.pillion.abi.state.SetRequest;
import dev.pillion.state.StateFeature;
import dev.pillion.state.memory.JavaInMemoryStateComponent;
import dev.pillion.state.spi.StateComponent;
import java.util.Set;

/**
 * A store that declares etags but neither TTL nor transactions runs the rest of the suite: the TTL
 * and transaction scenarios are skipped, and the block refuses those operations for it.
 */
class FeatureGatedStateConformanceTest extends StateConformanceSuite {
  private static final Set<String> FEATURES = Set.of(StateFeature.ETAG);

  /** Get, set and delete only (the SPI's fallbacks do bulk), with etags. */
  private record EtagsOnly(JavaInMemoryStateComponent delegate) implements StateComponent {
    @Override
    public String name() {
      return delegate.name();
    }

    @Override
    public Set<String> features() {
      return Set.of(StateFeature.ETAG);
    }

    @Override
    public GetResponse get(GetRequest request) {
      return delegate.get(request);
    }

    @Override
    public void set(SetRequest request) {
      delegate.set(request);
    }

    @Override
    public void delete(DeleteRequest request) {
      delegate.delete(request);
    }

    @Override
    public void close() {
      delegate.close();
    }
  }

  @Override
  protected Set<String> expectedFeatures() {
    return FEATURES;
  }

  @Override
  protected StateComponent createComponent() {
    return new EtagsOnly(JavaInMemoryStateComponent.create(STORE));
  }
}
