package dev.pillion.server.api.secrets;

import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.pillion.secrets.SecretStore;
import dev.pillion.server.http.JsonBody;
import dev.pillion.server.spi.HttpApiRequest;
import dev.pillion.server.spi.HttpReply;
import java.util.Map;
import java.util.concurrent.CompletionStage;

/**
 * The HTTP face of the secrets API: path and {@code metadata.*} query parameters to {@link
 * SecretsCommand}s, results to daprd's JSON ({@code {"key": "value"}} for one secret, {@code
 * {"secretName": {"key": "value"}}} for the bulk read).
 */
final class SecretsHttp {
  private static final int OK = 200;

  private final SecretsGateway gateway;

  SecretsHttp(SecretsGateway gateway) {
    this.gateway = gateway;
  }

  /** {@code GET /v1.0/secrets/{store}/{name}}. */
  CompletionStage<HttpReply> get(HttpApiRequest request) {
    SecretStore store = gateway.store(request.pathParameter("store"));
    return gateway
        .execute(new SecretsCommand.Get(store, request.pathParameter("name"), request.metadata()))
        .thenApply(secret -> HttpReply.json(OK, object(secret)));
  }

  /** {@code GET /v1.0/secrets/{store}/bulk}. */
  CompletionStage<HttpReply> bulkGet(HttpApiRequest request) {
    SecretStore store = gateway.store(request.pathParameter("store"));
    return gateway
        .execute(new SecretsCommand.BulkGet(store, request.metadata()))
        .thenApply(
            secrets -> {
              ObjectNode response = JsonBody.JSON.createObjectNode();
              secrets.forEach((name, secret) -> response.set(name, object(secret)));
              return HttpReply.json(OK, response);
            });
  }

  private static ObjectNode object(Map<String, String> values) {
    ObjectNode object = JsonBody.JSON.createObjectNode();
    values.forEach(object::put);
    return object;
  }
}
