package dev.pillion.server.api.secrets;

import dev.pillion.secrets.SecretStore;
import io.dapr.v1.DaprSecretProtos;
import java.util.concurrent.CompletionStage;

/**
 * The gRPC face of the secrets API ({@code GetSecret}, {@code GetBulkSecret}): messages to {@link
 * SecretsCommand}s, results to response messages ({@code data}: the secret's keys and values, or a
 * {@code SecretResponse} per secret).
 */
final class SecretsGrpc {
  private final SecretsGateway gateway;

  SecretsGrpc(SecretsGateway gateway) {
    this.gateway = gateway;
  }

  CompletionStage<DaprSecretProtos.GetSecretResponse> getSecret(
      DaprSecretProtos.GetSecretRequest request) {
    SecretStore store = gateway.store(request.getStoreName());
    return gateway
        .execute(new SecretsCommand.Get(store, request.getKey(), request.getMetadataMap()))
        .thenApply(
            secret -> DaprSecretProtos.GetSecretResponse.newBuilder().putAllData(secret).build());
  }

  CompletionStage<DaprSecretProtos.GetBulkSecretResponse> getBulkSecret(
      DaprSecretProtos.GetBulkSecretRequest request) {
    SecretStore store = gateway.store(request.getStoreName());
    return gateway
        .execute(new SecretsCommand.BulkGet(store, request.getMetadataMap()))
        .thenApply(
            secrets -> {
              DaprSecretProtos.GetBulkSecretResponse.Builder response =
                  DaprSecretProtos.GetBulkSecretResponse.newBuilder();
              secrets.forEach(
                  (name, secret) ->
                      response.putData(
                          name,
                          DaprSecretProtos.SecretResponse.newBuilder()
                              .putAllSecrets(secret)
                              .build()));
              return response.build();
            });
  }
}
