/**
 * How a building block serves its part of the Dapr API: an {@link dev.pillion.server.spi.ApiModule}
 * contributes HTTP routes and gRPC methods, maps each request once into a protocol-neutral command
 * and runs it through {@link dev.pillion.server.spi.ComponentCalls}, which decides on which thread
 * a component is called. The server owns transport, the API token, dispatch and error rendering.
 */
package dev.pillion.server.spi;
