package dev.pillion.server.api.invoke;

import dev.pillion.invoke.InvocationRequest;

/**
 * An invocation, whichever protocol asked for it.
 *
 * @param target the app id, or {@code appId.namespace}
 * @param request what the app receives
 */
record InvokeCommand(String target, InvocationRequest request) {}
