package dev.pillion.secrets.wasm;

import com.google.protobuf.Parser;
import dev.pillion.abi.GuestError;
import dev.pillion.abi.SecretStoreContract;
import dev.pillion.abi.secretstores.BulkGetSecretRequest;
import dev.pillion.abi.secretstores.BulkGetSecretResponse;
import dev.pillion.abi.secretstores.FeaturesRequest;
import dev.pillion.abi.secretstores.FeaturesResponse;
import dev.pillion.abi.secretstores.GetSecretRequest;
import dev.pillion.abi.secretstores.GetSecretResponse;
import dev.pillion.abi.secretstores.InitRequest;
import dev.pillion.abi.secretstores.Metadata;
import dev.pillion.block.wasm.ContractClient;
import dev.pillion.block.wasm.ContractComponent;
import dev.pillion.secrets.SecretNotFoundException;
import dev.pillion.secrets.SecretsException;
import dev.pillion.secrets.spi.SecretStoreComponent;
import dev.pillion.wasm.ComponentCallException;
import dev.pillion.wasm.ComponentSpec;
import dev.pillion.wasm.GuestErrorException;
import dev.pillion.wasm.WasmHost;
import java.util.Map;

/**
 * A secret store component implemented by any Wasm module that speaks the secret store contract
 * (ABI version 2): the guest's {@code NOT_FOUND} becomes {@link SecretNotFoundException}, anything
 * else a {@link SecretsException} with its text.
 */
public final class WasmSecretStoreComponent extends ContractComponent
    implements SecretStoreComponent {
  /** The secrets block's exceptions for failed calls. */
  private static final ContractClient.ErrorMapping ERRORS =
      new ContractClient.ErrorMapping() {
        @Override
        public RuntimeException failure(String component, String message, Throwable cause) {
          return new SecretsException(component, message, cause);
        }

        @Override
        public RuntimeException translate(String component, ComponentCallException e, String key) {
          return WasmSecretStoreComponent.translate(component, e, key);
        }
      };

  /** Opens the block's components: init with the metadata, then features. */
  private static final ContractClient.Lifecycle LIFECYCLE =
      new ContractClient.Lifecycle(
          SecretStoreContract.CONTRACT,
          SecretStoreContract.INIT,
          (name, properties) ->
              InitRequest.newBuilder()
                  .setMetadata(Metadata.newBuilder().setName(name).putAllProperties(properties))
                  .build(),
          SecretStoreContract.FEATURES,
          FeaturesRequest.getDefaultInstance(),
          ContractClient.FeaturesReader.of(
              FeaturesResponse.parser(), FeaturesResponse::getFeaturesList),
          ERRORS);

  private WasmSecretStoreComponent(ContractClient client) {
    super(client);
  }

  /**
   * Loads a module and initializes every instance with the component's metadata.
   *
   * @param host the Wasm host
   * @param spec the module to load, with the grants it needs; its contract and initializer are set
   *     here
   * @param properties the metadata properties passed to {@code secretstore_init}
   * @return the ready component
   */
  public static WasmSecretStoreComponent load(
      WasmHost host, ComponentSpec spec, Map<String, String> properties) {
    return LIFECYCLE.open(host, spec, properties, WasmSecretStoreComponent::new);
  }

  /** Maps a failed call: {@code NOT_FOUND} to its exception, anything else to the text. */
  static SecretsException translate(String name, ComponentCallException e, String secret) {
    if (e instanceof GuestErrorException guest && guest.error().is(GuestError.NOT_FOUND)) {
      return new SecretNotFoundException(name, secret, guest.error().text(), e);
    }
    if (e instanceof GuestErrorException guest) {
      return new SecretsException(name, guest.error().text(), e);
    }
    return new SecretsException(name, e.getMessage(), e);
  }

  /** Decodes a response as every call does, for tests. */
  static <T> T decode(String name, String method, Parser<T> parser, byte[] bytes) {
    return ContractClient.decode(name, method, parser, bytes, ERRORS);
  }

  @Override
  public GetSecretResponse getSecret(GetSecretRequest request) {
    return client()
        .decode(
            SecretStoreContract.GET_SECRET,
            GetSecretResponse.parser(),
            client().call(SecretStoreContract.GET_SECRET, request, request.getName()));
  }

  @Override
  public BulkGetSecretResponse bulkGetSecret(BulkGetSecretRequest request) {
    return client()
        .call(SecretStoreContract.BULK_GET_SECRET, request, BulkGetSecretResponse.parser());
  }
}
