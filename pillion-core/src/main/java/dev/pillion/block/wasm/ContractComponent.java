package dev.pillion.block.wasm;

import dev.pillion.block.BlockComponent;
import dev.pillion.wasm.WasmComponent;
import java.util.Set;

/**
 * The part every Wasm adapter of a block's SPI shares: its name, the features it reported when it
 * opened, its Wasm component and its close, all from its {@link ContractClient}. An adapter extends
 * this and implements its block's SPI interface with calls through {@link #client()}.
 */
public abstract class ContractComponent implements BlockComponent {
  private final ContractClient client;

  /**
   * Creates the adapter's common part.
   *
   * @param client the opened client
   */
  protected ContractComponent(ContractClient client) {
    this.client = client;
  }

  /**
   * The client the adapter calls through.
   *
   * @return the client
   */
  protected final ContractClient client() {
    return client;
  }

  /**
   * The underlying Wasm component.
   *
   * @return the component
   */
  public final WasmComponent wasm() {
    return client.wasm();
  }

  /** Blocking when a host capability granted to the module is. */
  @Override
  public final boolean isBlocking() {
    return client.wasm().isBlocking();
  }

  @Override
  public final String name() {
    return client.name();
  }

  @Override
  public final Set<String> features() {
    return client.features();
  }

  @Override
  public void close() {
    client.close();
  }
}
