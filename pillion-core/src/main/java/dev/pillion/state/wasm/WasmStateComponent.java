package dev.pillion.state.wasm;

import com.google.protobuf.MessageLite;
import com.google.protobuf.Parser;
import dev.pillion.abi.GuestError;
import dev.pillion.abi.StateStoreContract;
import dev.pillion.abi.state.BulkDeleteRequest;
import dev.pillion.abi.state.BulkGetItem;
import dev.pillion.abi.state.BulkGetRequest;
import dev.pillion.abi.state.BulkGetResponse;
import dev.pillion.abi.state.BulkSetRequest;
import dev.pillion.abi.state.DeleteRequest;
import dev.pillion.abi.state.FeaturesRequest;
import dev.pillion.abi.state.FeaturesResponse;
import dev.pillion.abi.state.GetRequest;
import dev.pillion.abi.state.GetResponse;
import dev.pillion.abi.state.InitRequest;
import dev.pillion.abi.state.Metadata;
import dev.pillion.abi.state.PingRequest;
import dev.pillion.abi.state.SetRequest;
import dev.pillion.abi.state.TransactRequest;
import dev.pillion.block.wasm.ContractClient;
import dev.pillion.block.wasm.ContractComponent;
import dev.pillion.state.BulkStateException;
import dev.pillion.state.EtagException;
import dev.pillion.state.EtagInvalidException;
import dev.pillion.state.EtagMismatchException;
import dev.pillion.state.InvalidStateRequestException;
import dev.pillion.state.StateException;
import dev.pillion.state.StateFeature;
import dev.pillion.state.StateLimitException;
import dev.pillion.state.StateNotSupportedException;
import dev.pillion.state.spi.StateComponent;
import dev.pillion.wasm.ComponentCallException;
import dev.pillion.wasm.ComponentSpec;
import dev.pillion.wasm.GuestErrorException;
import dev.pillion.wasm.MessageTooLargeException;
import dev.pillion.wasm.WasmHost;
import java.util.List;
import java.util.Map;

/**
 * A state component implemented by any Wasm module that speaks the state contract (ABI version 1 or
 * 2). Uses the module's optional exports (bulk, transact, ping) when present and the {@link
 * StateComponent} fallbacks otherwise.
 */
public final class WasmStateComponent extends ContractComponent implements StateComponent {
  /** The state block's exceptions for failed calls. */
  private static final ContractClient.ErrorMapping ERRORS =
      new ContractClient.ErrorMapping() {
        @Override
        public RuntimeException failure(String component, String message, Throwable cause) {
          return new StateException(component, message, cause);
        }

        @Override
        public RuntimeException translate(String component, ComponentCallException e, String key) {
          if (e instanceof GuestErrorException guest) {
            return WasmStateComponent.translate(component, guest, key);
          }
          if (e instanceof MessageTooLargeException) {
            return new StateLimitException(
                component, e.getMessage() + " (raise the component's wasm.maxMessageBytes)", e);
          }
          return new StateException(component, e.getMessage(), e);
        }
      };

  /** Opens the block's components: init with the metadata, then features. */
  private static final ContractClient.Lifecycle LIFECYCLE =
      new ContractClient.Lifecycle(
          StateStoreContract.CONTRACT,
          StateStoreContract.INIT,
          (name, properties) ->
              InitRequest.newBuilder()
                  .setMetadata(Metadata.newBuilder().setName(name).putAllProperties(properties))
                  .build(),
          StateStoreContract.FEATURES,
          FeaturesRequest.getDefaultInstance(),
          ContractClient.FeaturesReader.of(
              FeaturesResponse.parser(), FeaturesResponse::getFeaturesList),
          ERRORS);

  private WasmStateComponent(ContractClient client) {
    super(client);
  }

  /**
   * Loads a module and initializes every instance with the component's metadata.
   *
   * @param host the Wasm host
   * @param spec the module to load; its contract and initializer are set here
   * @param properties the metadata properties passed to {@code store_init}
   * @return the ready component
   */
  public static WasmStateComponent load(
      WasmHost host, ComponentSpec spec, Map<String, String> properties) {
    return LIFECYCLE.open(host, spec, properties, WasmStateComponent::new);
  }

  @Override
  public GetResponse get(GetRequest request) {
    return client()
        .decode(
            StateStoreContract.GET,
            GetResponse.parser(),
            client().call(StateStoreContract.GET, request, request.getKey()));
  }

  @Override
  public void set(SetRequest request) {
    client().call(StateStoreContract.SET, request, request.getKey());
  }

  @Override
  public void delete(DeleteRequest request) {
    client().call(StateStoreContract.DELETE, request, request.getKey());
  }

  @Override
  public List<BulkGetItem> bulkGet(BulkGetRequest request) {
    if (!client().hasMethod(StateStoreContract.BULK_GET)) {
      return StateComponent.super.bulkGet(request);
    }
    return client()
        .call(StateStoreContract.BULK_GET, request, BulkGetResponse.parser())
        .getItemsList();
  }

  @Override
  public void bulkSet(BulkSetRequest request) {
    if (!client().hasMethod(StateStoreContract.BULK_SET)) {
      StateComponent.super.bulkSet(request);
      return;
    }
    bulkCall(StateStoreContract.BULK_SET, request, "bulk save");
  }

  @Override
  public void bulkDelete(BulkDeleteRequest request) {
    if (!client().hasMethod(StateStoreContract.BULK_DELETE)) {
      StateComponent.super.bulkDelete(request);
      return;
    }
    bulkCall(StateStoreContract.BULK_DELETE, request, "bulk delete");
  }

  private void bulkCall(String method, MessageLite request, String operation) {
    try {
      client().call(method, request, "");
    } catch (StateException e) {
      String key = keyOf(e);
      throw new BulkStateException(
          name(), operation, List.of(new BulkStateException.KeyFailure(key, e)));
    }
  }

  private static String keyOf(StateException e) {
    if (e instanceof EtagException etag) {
      return etag.key();
    }
    return e.getCause() instanceof GuestErrorException guest ? guest.error().key().orElse("") : "";
  }

  @Override
  public void transact(TransactRequest request) {
    if (!client().hasMethod(StateStoreContract.TRANSACT)
        || !features().contains(StateFeature.TRANSACTIONAL)) {
      throw new StateNotSupportedException(
          name(),
          "transactions are not supported by this component (it does not export store_transact)");
    }
    client().call(StateStoreContract.TRANSACT, request, "");
  }

  @Override
  public void ping() {
    if (client().hasMethod(StateStoreContract.PING)) {
      client().call(StateStoreContract.PING, PingRequest.getDefaultInstance(), "");
    }
  }

  /** Maps the guest's error code to the typed exception; bulk errors name their key in the text. */
  static StateException translate(String name, GuestErrorException e, String requestKey) {
    GuestError error = e.error();
    String key = error.key().orElse(requestKey);
    if (error.is(GuestError.ETAG_MISMATCH)) {
      return new EtagMismatchException(name, key, error.detail());
    }
    if (error.is(GuestError.ETAG_INVALID)) {
      return new EtagInvalidException(name, key, error.detail());
    }
    if (error.is(GuestError.INVALID_ARGUMENT)) {
      return new InvalidStateRequestException(name, error.text());
    }
    if (error.is(GuestError.NOT_SUPPORTED)) {
      return new StateNotSupportedException(name, error.text());
    }
    if (error.is(GuestError.RESOURCE_EXHAUSTED)) {
      return new StateLimitException(name, error.text(), e);
    }
    return new StateException(name, e.getMessage(), e);
  }

  /** Decodes a response as every call does, for the fuzz test. */
  static <T> T decode(String name, String method, Parser<T> parser, byte[] bytes) {
    return ContractClient.decode(name, method, parser, bytes, ERRORS);
  }
}
