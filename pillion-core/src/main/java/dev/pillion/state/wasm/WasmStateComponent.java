package dev.pillion.state.wasm;

import com.google.protobuf.CodedInputStream;
import com.google.protobuf.InvalidProtocolBufferException;
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
import dev.pillion.wasm.ComponentCaller;
import dev.pillion.wasm.ComponentSpec;
import dev.pillion.wasm.GuestErrorException;
import dev.pillion.wasm.MessageTooLargeException;
import dev.pillion.wasm.WasmComponent;
import dev.pillion.wasm.WasmHost;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * A state component implemented by any Wasm module that speaks the state contract (ABI version 1 or
 * 2). Uses the module's optional exports (bulk, transact, ping) when present and the {@link
 * StateComponent} fallbacks otherwise.
 */
public final class WasmStateComponent implements StateComponent {
  private final String name;
  private final WasmComponent component;
  private final Set<String> features;

  private WasmStateComponent(String name, WasmComponent component, Set<String> features) {
    this.name = name;
    this.component = component;
    this.features = features;
  }

  /**
   * Loads a module and initializes every instance with the component's metadata.
   *
   * @param host the Wasm host
   * @param spec the module to load; its initializer is replaced by the state contract's {@code
   *     init}
   * @param properties the metadata properties passed to {@code store_init}
   * @return the ready component
   */
  public static WasmStateComponent load(
      WasmHost host, ComponentSpec spec, Map<String, String> properties) {
    String name = spec.name();
    byte[] init =
        InitRequest.newBuilder()
            .setMetadata(Metadata.newBuilder().setName(name).putAllProperties(properties))
            .build()
            .toByteArray();
    ComponentSpec loadSpec =
        spec.toBuilder()
            .contract(StateStoreContract.CONTRACT)
            .initializer(instance -> callInit(name, instance, init))
            .build();
    WasmComponent component = host.load(loadSpec);
    try {
      FeaturesResponse features =
          decode(
              name,
              StateStoreContract.FEATURES,
              FeaturesResponse.parser(),
              call(
                  name,
                  component,
                  StateStoreContract.FEATURES,
                  FeaturesRequest.getDefaultInstance(),
                  ""));
      return new WasmStateComponent(name, component, Set.copyOf(features.getFeaturesList()));
    } catch (RuntimeException e) {
      component.close();
      throw e;
    }
  }

  private static void callInit(String name, ComponentCaller instance, byte[] init) {
    try {
      instance.call(StateStoreContract.INIT, init);
    } catch (GuestErrorException e) {
      throw new StateException(name, "init failed: " + e.error().text(), e);
    }
  }

  /**
   * The underlying Wasm component.
   *
   * @return the component
   */
  public WasmComponent wasm() {
    return component;
  }

  @Override
  public String name() {
    return name;
  }

  @Override
  public Set<String> features() {
    return features;
  }

  @Override
  public GetResponse get(GetRequest request) {
    return decode(
        name,
        StateStoreContract.GET,
        GetResponse.parser(),
        call(StateStoreContract.GET, request, request.getKey()));
  }

  @Override
  public void set(SetRequest request) {
    call(StateStoreContract.SET, request, request.getKey());
  }

  @Override
  public void delete(DeleteRequest request) {
    call(StateStoreContract.DELETE, request, request.getKey());
  }

  @Override
  public List<BulkGetItem> bulkGet(BulkGetRequest request) {
    if (!component.hasMethod(StateStoreContract.BULK_GET)) {
      return StateComponent.super.bulkGet(request);
    }
    byte[] response = call(StateStoreContract.BULK_GET, request, "");
    return decode(name, StateStoreContract.BULK_GET, BulkGetResponse.parser(), response)
        .getItemsList();
  }

  @Override
  public void bulkSet(BulkSetRequest request) {
    if (!component.hasMethod(StateStoreContract.BULK_SET)) {
      StateComponent.super.bulkSet(request);
      return;
    }
    bulkCall(StateStoreContract.BULK_SET, request, "bulk save");
  }

  @Override
  public void bulkDelete(BulkDeleteRequest request) {
    if (!component.hasMethod(StateStoreContract.BULK_DELETE)) {
      StateComponent.super.bulkDelete(request);
      return;
    }
    bulkCall(StateStoreContract.BULK_DELETE, request, "bulk delete");
  }

  private void bulkCall(String method, MessageLite request, String operation) {
    try {
      call(method, request, "");
    } catch (StateException e) {
      String key = keyOf(e);
      throw new BulkStateException(
          name, operation, List.of(new BulkStateException.KeyFailure(key, e)));
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
    if (!component.hasMethod(StateStoreContract.TRANSACT)
        || !features.contains(StateFeature.TRANSACTIONAL)) {
      throw new StateNotSupportedException(
          name,
          "transactions are not supported by this component (it does not export store_transact)");
    }
    call(StateStoreContract.TRANSACT, request, "");
  }

  @Override
  public void ping() {
    if (component.hasMethod(StateStoreContract.PING)) {
      call(StateStoreContract.PING, PingRequest.getDefaultInstance(), "");
    }
  }

  private byte[] call(String method, MessageLite request, String key) {
    return call(name, component, method, request, key);
  }

  private static byte[] call(
      String name, WasmComponent component, String method, MessageLite request, String key) {
    try {
      return component.call(method, request.toByteArray());
    } catch (GuestErrorException e) {
      throw translate(name, e, key);
    } catch (MessageTooLargeException e) {
      throw new StateLimitException(
          name, e.getMessage() + " (raise the component's wasm.maxMessageBytes)", e);
    } catch (ComponentCallException e) {
      throw new StateException(name, e.getMessage(), e);
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

  static <T> T decode(String name, String method, Parser<T> parser, byte[] bytes) {
    try {
      // The response array is ours alone: let bytes fields alias it instead of copying.
      CodedInputStream input = CodedInputStream.newInstance(bytes);
      input.enableAliasing(true);
      T message = parser.parseFrom(input);
      input.checkLastTagWas(0);
      return message;
    } catch (InvalidProtocolBufferException e) {
      throw new StateException(
          name,
          "component returned a malformed response to "
              + method
              + " ("
              + bytes.length
              + " bytes): "
              + e.getMessage(),
          e);
    }
  }

  @Override
  public void close() {
    component.close();
  }
}
