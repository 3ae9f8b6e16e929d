package dev.pillion.server.sdk;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.pillion.Pillion;
import io.dapr.client.DaprClient;
import io.dapr.exceptions.DaprErrorDetails;
import io.dapr.exceptions.DaprException;
import io.dapr.utils.TypeRef;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The secrets API through the official Dapr Java SDK (1.17.1): a {@code secretstores.local.file}
 * store from Dapr YAML, scoped by a {@code kind: Configuration}, and a state store whose capacity
 * comes from a {@code secretKeyRef}. The same class runs against the server over loopback gRPC and
 * against the embedded, socket-free client.
 */
public abstract class DaprSdkSecretsContract {
  @TempDir Path resources;
  @TempDir Path secrets;
  protected Pillion runtime;
  protected DaprClient client;

  /** Returns a client for the runtime; called after {@link #runtime} is built. */
  protected abstract DaprClient connect(Pillion runtime);

  /** Stops whatever {@link #connect} started. */
  protected abstract void disconnect();

  @BeforeEach
  void start() throws IOException {
    Path file =
        Files.writeString(
            secrets.resolve("secrets.json"),
            """
            {"db": {"user": "admin", "password": "s3cret"}, "token": "abc",
             "denied": "hidden", "limits": {"items": "1"}}
            """);
    Files.writeString(
        resources.resolve("secrets.yaml"),
        """
        apiVersion: dapr.io/v1alpha1
        kind: Component
        metadata: {name: localsecrets}
        spec:
          type: secretstores.local.file
          version: v1
          metadata:
          - {name: secretsFile, value: "%s"}
          - {name: nestedSeparator, value: "."}
        """
            .formatted(file));
    Files.writeString(
        resources.resolve("config.yaml"),
        """
        apiVersion: dapr.io/v1alpha1
        kind: Configuration
        metadata: {name: appconfig}
        spec:
          secrets:
            scopes:
            - {storeName: localsecrets, defaultAccess: allow, deniedSecrets: [denied]}
        """);
    Files.writeString(
        resources.resolve("state.yaml"),
        """
        apiVersion: dapr.io/v1alpha1
        kind: Component
        metadata: {name: statestore}
        spec:
          type: state.in-memory
          version: v1
          metadata:
          - name: wasm.keyvalue.maxItems
            secretKeyRef: {name: limits.items, key: limits.items}
        auth: {secretStore: localsecrets}
        """);
    runtime = Pillion.builder().appId("sdk-app").resourcesPath(resources).build();
    client = connect(runtime);
  }

  @AfterEach
  void stop() throws Exception {
    client.close();
    disconnect();
    runtime.close();
  }

  private static String reason(DaprException e) {
    return e.getErrorDetails()
        .get(DaprErrorDetails.ErrorDetailType.ERROR_INFO, "reason", TypeRef.STRING);
  }

  @Test
  void getsASecret() {
    assertThat(client.getSecret("localsecrets", "db.password").block())
        .containsExactly(Map.entry("db.password", "s3cret"));
    assertThat(client.getSecret("localsecrets", "token", Map.of("unused", "x")).block())
        .containsExactly(Map.entry("token", "abc"));
  }

  @Test
  void bulkGetLeavesOutWhatTheScopeDenies() {
    assertThat(client.getBulkSecret("localsecrets").block())
        .containsOnlyKeys("db.user", "db.password", "token", "limits.items")
        .containsEntry("db.user", Map.of("db.user", "admin"))
        .containsEntry("token", Map.of("token", "abc"));
  }

  @Test
  void aSecretTheScopeDeniesIsPermissionDenied() {
    assertThatThrownBy(() -> client.getSecret("localsecrets", "denied").block())
        .isInstanceOfSatisfying(
            DaprException.class,
            e -> {
              assertThat(e.getErrorCode()).isEqualTo("PERMISSION_DENIED");
              assertThat(e.getMessage())
                  .endsWith("access denied by policy to get \"denied\" from \"localsecrets\"");
              assertThat(reason(e)).isEqualTo("ERR_PERMISSION_DENIED");
            });
  }

  @Test
  void aMissingSecretIsInternalWithTheComponentsWords() {
    assertThatThrownBy(() -> client.getSecret("localsecrets", "nope").block())
        .isInstanceOfSatisfying(
            DaprException.class,
            e -> {
              assertThat(e.getErrorCode()).isEqualTo("INTERNAL");
              assertThat(e.getMessage())
                  .endsWith(
                      "failed getting secret with key nope from secret store localsecrets:"
                          + " secret nope not found");
              assertThat(reason(e)).isEqualTo("ERR_SECRET_GET");
            });
  }

  @Test
  void anUnknownStoreIsInvalidArgument() {
    assertThatThrownBy(() -> client.getSecret("vault", "token").block())
        .isInstanceOfSatisfying(
            DaprException.class,
            e -> {
              assertThat(e.getErrorCode()).isEqualTo("INVALID_ARGUMENT");
              assertThat(e.getMessage()).endsWith("failed finding secret store with key vault");
              assertThat(reason(e)).isEqualTo("ERR_SECRET_STORE_NOT_FOUND");
            });
    assertThatThrownBy(() -> client.getBulkSecret("vault").block())
        .isInstanceOfSatisfying(
            DaprException.class, e -> assertThat(e.getErrorCode()).isEqualTo("INVALID_ARGUMENT"));
  }

  @Test
  void aStateStoreTakesItsCapacityFromASecret() {
    client.saveState("statestore", "first", "1").block();
    // limits.items = 1: the store is full after one item.
    assertThatThrownBy(() -> client.saveState("statestore", "second", "2").block())
        .isInstanceOfSatisfying(
            DaprException.class, e -> assertThat(e.getErrorCode()).isEqualTo("RESOURCE_EXHAUSTED"));
  }
}
