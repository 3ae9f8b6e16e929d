/**
 * No-sidecar mode for Dapr Java SDK applications: {@link dev.pillion.sdk.embedded.EmbeddedDapr}
 * serves an embedded runtime's Dapr gRPC API in-process, and {@link
 * dev.pillion.sdk.embedded.EmbeddedChannelProvider}, registered JVM-wide as a gRPC {@code
 * ManagedChannelProvider}, hands the SDK's client an in-process channel to it. Only applications
 * that embed the runtime take this module; the CLI and the server do not.
 */
package dev.pillion.sdk.embedded;
