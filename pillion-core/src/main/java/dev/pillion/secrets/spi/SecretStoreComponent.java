package dev.pillion.secrets.spi;

import dev.pillion.abi.secretstores.BulkGetSecretRequest;
import dev.pillion.abi.secretstores.BulkGetSecretResponse;
import dev.pillion.abi.secretstores.GetSecretRequest;
import dev.pillion.abi.secretstores.GetSecretResponse;
import dev.pillion.block.BlockComponent;

/**
 * A secret store component as the building block sees it: the contract's messages ({@code
 * proto/secretstores/secretstores.proto}) in, {@link dev.pillion.secrets.SecretsException}s out (a
 * missing secret is {@link dev.pillion.secrets.SecretNotFoundException}). Scoping is the building
 * block's; a component answers for every secret it has. Must be thread-safe.
 */
public interface SecretStoreComponent extends BlockComponent {
  /**
   * Reads one secret.
   *
   * @param request the secret's name and request metadata
   * @return its keys and values
   * @throws dev.pillion.secrets.SecretNotFoundException when the store has no such secret
   */
  GetSecretResponse getSecret(GetSecretRequest request);

  /**
   * Reads every secret.
   *
   * @param request request metadata
   * @return the secrets by name
   */
  BulkGetSecretResponse bulkGetSecret(BulkGetSecretRequest request);
}
