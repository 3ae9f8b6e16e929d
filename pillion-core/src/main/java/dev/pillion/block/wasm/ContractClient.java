package dev.pillion.block.wasm;

import com.google.protobuf.CodedInputStream;
import com.google.protobuf.InvalidProtocolBufferException;
import com.google.protobuf.MessageLite;
import com.google.protobuf.Parser;
import com.google.protobuf.UnsafeByteOperations;
import dev.pillion.abi.ServiceContract;
import dev.pillion.wasm.ComponentCallException;
import dev.pillion.wasm.ComponentSpec;
import dev.pillion.wasm.GuestErrorException;
import dev.pillion.wasm.WasmComponent;
import dev.pillion.wasm.WasmHost;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.function.BiFunction;
import java.util.function.Function;

/**
 * A Wasm component as every building block's adapter talks to it: loaded with its contract, each
 * instance initialized with the contract's {@code init}, called with protobuf messages, its
 * responses decoded (aliasing the response bytes, which belong to the call alone), and every
 * failure turned into the block's exception by the block's {@link ErrorMapping}. Thread-safe as the
 * {@link WasmComponent} is.
 */
public final class ContractClient implements AutoCloseable {
  private final String name;
  private final WasmComponent component;
  private final ErrorMapping errors;
  private final Set<String> features;

  private ContractClient(
      String name, WasmComponent component, ErrorMapping errors, Set<String> features) {
    this.name = name;
    this.component = component;
    this.errors = errors;
    this.features = features;
  }

  /** How a building block names what went wrong in a component call. */
  public interface ErrorMapping {
    /**
     * The block's general exception.
     *
     * @param component the component's name
     * @param message what went wrong
     * @param cause the underlying failure
     * @return the exception, naming the component
     */
    RuntimeException failure(String component, String message, Throwable cause);

    /**
     * The block's exception for a call that failed: a guest's coded error to its typed exception,
     * anything else to {@link #failure}.
     *
     * @param component the component's name
     * @param e the failure
     * @param key the key the request was about, or empty
     * @return the exception, naming the component
     */
    RuntimeException translate(String component, ComponentCallException e, String key);
  }

  /**
   * How a block's contract opens a component: the contract, its {@code init} method and request,
   * its {@code features} method and response, and the block's error mapping. Every adapter opens
   * its components through one of these, so loading, init and features are written once.
   *
   * @param contract the contract the module must export
   * @param initMethod the contract's init method
   * @param initRequest the init request for a component's name and metadata properties
   * @param featuresMethod the contract's features method, called once when the component opens
   * @param featuresRequest the features request
   * @param features reads the feature strings out of a features response
   * @param errors the block's error mapping
   */
  public record Lifecycle(
      ServiceContract contract,
      String initMethod,
      BiFunction<String, Map<String, String>, MessageLite> initRequest,
      String featuresMethod,
      MessageLite featuresRequest,
      FeaturesReader features,
      ErrorMapping errors) {

    /** Checks no part is missing. */
    public Lifecycle {
      Objects.requireNonNull(contract, "contract");
      Objects.requireNonNull(initMethod, "initMethod");
      Objects.requireNonNull(initRequest, "initRequest");
      Objects.requireNonNull(featuresMethod, "featuresMethod");
      Objects.requireNonNull(featuresRequest, "featuresRequest");
      Objects.requireNonNull(features, "features");
      Objects.requireNonNull(errors, "errors");
    }

    /**
     * Loads a module, initializes every instance with {@code init}, reads the component's features
     * and opens an adapter over it; the module is closed again if any of this fails.
     *
     * @param <T> the adapter type
     * @param host the Wasm host
     * @param spec the module to load; its contract and initializer are set here
     * @param properties the metadata properties passed to {@code init}
     * @param open builds the adapter over the client
     * @return the adapter
     */
    public <T> T open(
        WasmHost host,
        ComponentSpec spec,
        Map<String, String> properties,
        Function<ContractClient, T> open) {
      String name = spec.name();
      byte[] init = initRequest.apply(name, properties).toByteArray();
      WasmComponent component =
          host.load(
              spec.toBuilder()
                  .contract(contract)
                  .initializer(
                      instance -> {
                        try {
                          instance.call(initMethod, init);
                        } catch (GuestErrorException e) {
                          throw errors.failure(name, "init failed: " + e.error().text(), e);
                        }
                      })
                  .build());
      try {
        // The features are not known until this client has asked for them.
        ContractClient opening = new ContractClient(name, component, errors, Set.of());
        Set<String> reported = Set.copyOf(features.read(opening, featuresMethod, featuresRequest));
        return open.apply(new ContractClient(name, component, errors, reported));
      } catch (RuntimeException e) {
        component.close();
        throw e;
      }
    }
  }

  /** Reads a contract's features response (each contract has its own message type). */
  @FunctionalInterface
  public interface FeaturesReader {
    /**
     * Calls the features method and returns the features it reports.
     *
     * @param client the client of the component being opened
     * @param method the features method
     * @param request the features request
     * @return the feature strings
     */
    List<String> read(ContractClient client, String method, MessageLite request);

    /**
     * The reader of a features response whose message lists the features.
     *
     * @param <F> the response type
     * @param parser the response's parser
     * @param features the response's feature list
     * @return the reader
     */
    static <F> FeaturesReader of(Parser<F> parser, Function<F, List<String>> features) {
      return (client, method, request) -> features.apply(client.call(method, request, parser));
    }
  }

  /**
   * The component's name.
   *
   * @return the name
   */
  public String name() {
    return name;
  }

  /**
   * The features the component reported when it opened.
   *
   * @return the feature strings
   */
  public Set<String> features() {
    return features;
  }

  /**
   * The underlying Wasm component.
   *
   * @return the component
   */
  public WasmComponent wasm() {
    return component;
  }

  /**
   * Whether the module exports an optional method of its contract.
   *
   * @param method the method
   * @return true if exported
   */
  public boolean hasMethod(String method) {
    return component.hasMethod(method);
  }

  /**
   * Calls a method.
   *
   * @param method the method
   * @param request the request
   * @param key the key the request is about (named by errors that lack one), or empty
   * @return the response bytes, the caller's alone
   * @throws RuntimeException the block's exception when the call fails
   */
  public byte[] call(String method, MessageLite request, String key) {
    try {
      return component.call(method, request.toByteArray());
    } catch (ComponentCallException e) {
      throw errors.translate(name, e, key);
    }
  }

  /**
   * Calls a method and decodes its response.
   *
   * @param <T> the response type
   * @param method the method
   * @param request the request
   * @param parser the response's parser
   * @return the response
   * @throws RuntimeException the block's exception when the call fails or the response is malformed
   */
  public <T> T call(String method, MessageLite request, Parser<T> parser) {
    return decode(name, method, parser, call(method, request, ""), errors);
  }

  /**
   * Decodes a response.
   *
   * @param <T> the response type
   * @param method the method that answered
   * @param parser the response's parser
   * @param bytes the response
   * @return the message
   * @throws RuntimeException the block's failure when the bytes are not the message
   */
  public <T> T decode(String method, Parser<T> parser, byte[] bytes) {
    return decode(name, method, parser, bytes, errors);
  }

  /**
   * Decodes a response, aliasing {@code bytes}: bytes fields of the message share the array instead
   * of copying it, so it must not be modified afterwards.
   *
   * @param <T> the response type
   * @param component the component's name
   * @param method the method that answered
   * @param parser the response's parser
   * @param bytes the response
   * @param errors the block's error mapping
   * @return the message
   * @throws RuntimeException the block's failure when the bytes are not the message
   */
  public static <T> T decode(
      String component, String method, Parser<T> parser, byte[] bytes, ErrorMapping errors) {
    Objects.requireNonNull(bytes, "bytes");
    try {
      // Aliasing needs an input marked immutable: CodedInputStream.newInstance(byte[]) copies
      // bytes fields whatever enableAliasing says; a wrapped ByteString's input does not.
      CodedInputStream input = UnsafeByteOperations.unsafeWrap(bytes).newCodedInput();
      input.enableAliasing(true);
      T message = parser.parseFrom(input);
      input.checkLastTagWas(0);
      return message;
    } catch (InvalidProtocolBufferException e) {
      throw errors.failure(
          component,
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
