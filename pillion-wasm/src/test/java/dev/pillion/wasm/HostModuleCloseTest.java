package dev.pillion.wasm;

import static org.assertj.core.api.Assertions.assertThat;

import com.dylibso.chicory.wasm.types.FunctionType;
import dev.pillion.abi.StateStoreContract;
import dev.pillion.abi.state.GetRequest;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.Test;

/**
 * A granted capability's {@link HostModule#close()} runs when its component closes, after the
 * component's instances are released, and a failing close does not stop the others.
 */
class HostModuleCloseTest {
  /** A capability with no functions that records its bindings' and its own closing. */
  static final class Recording implements HostModule {
    private final String name;
    private final List<String> events;
    private final boolean failing;

    Recording(String name, List<String> events, boolean failing) {
      this.name = name;
      this.events = events;
      this.failing = failing;
    }

    @Override
    public String capability() {
      return name;
    }

    @Override
    public String importModule() {
      return "pillion_" + name + "_v1";
    }

    @Override
    public Map<String, FunctionType> functions() {
      return Map.of();
    }

    @Override
    public boolean isBlocking() {
      return false;
    }

    @Override
    public Binding bind(HostModuleContext context) {
      return new Binding() {
        @Override
        public List<com.dylibso.chicory.runtime.HostFunction> functions() {
          return List.of();
        }

        @Override
        public void close() {
          events.add(name + " instance released");
        }
      };
    }

    @Override
    public void close() {
      events.add(name + " closed");
      if (failing) {
        throw new IllegalStateException("close failed");
      }
    }
  }

  @Test
  void closingAComponentClosesItsCapabilitiesAfterItsInstances() {
    List<String> events = new CopyOnWriteArrayList<>();
    try (WasmHost host = WasmHost.create()) {
      WasmComponent component =
          host.load(
              Fixtures.spec(Fixtures.MISBEHAVING)
                  .grant(new Recording("first", events, true))
                  .grant(new Recording("second", events, false))
                  .build());
      component.call(
          StateStoreContract.GET, GetRequest.newBuilder().setKey("k").build().toByteArray());
      assertThat(events).noneMatch(event -> event.endsWith("closed"));
      component.close();
    }
    assertThat(events).contains("first instance released", "first closed", "second closed");
    assertThat(events.indexOf("first closed"))
        .isGreaterThan(events.lastIndexOf("first instance released"));
  }
}
