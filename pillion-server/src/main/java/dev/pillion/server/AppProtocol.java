package dev.pillion.server;

/**
 * How the runtime talks to the app behind the app port ({@code --app-protocol} of {@code dapr
 * run}).
 */
public enum AppProtocol {
  /**
   * HTTP/1.1: {@code /dapr/subscribe}, events POSTed to routes, invocations to {@code /<method>}.
   */
  HTTP,
  /**
   * gRPC (plaintext HTTP/2): the app serves Dapr's {@code AppCallback}, {@code AppCallbackAlpha}
   * and {@code AppCallbackHealthCheck} services.
   */
  GRPC
}
