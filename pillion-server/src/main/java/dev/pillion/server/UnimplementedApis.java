package dev.pillion.server;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Base64;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.function.Function;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The Dapr APIs daprd serves and Pillion does not: every HTTP route and gRPC method of them answers
 * 501 / UNIMPLEMENTED with a message naming the API and its stage ("the workflow API (beta1) is not
 * implemented by Pillion"), the same message over both protocols, so a client can tell a building
 * block Pillion lacks from a typo in its path. Read from daprd's routes ({@code pkg/api/http}) and
 * the methods of {@code dapr.proto.runtime.v1.Dapr}; a path no Dapr API has is still a 404.
 */
public final class UnimplementedApis {
  /** The gRPC service the methods belong to. */
  public static final String GRPC_SERVICE = "dapr.proto.runtime.v1.Dapr";

  private static final String V1 = "v1.0";
  private static final String ALPHA1 = "v1.0-alpha1";
  private static final String ALPHA2 = "v1.0-alpha2";
  private static final String BETA1 = "v1.0-beta1";

  /** Matches exactly one path segment in a route. */
  private static final String SEGMENT = "{}";

  /** Matches one or more segments at the end of a route. */
  private static final String REST = "**";

  private static final String STATE_QUERY = "the state query API";
  private static final String INVOCATION = "the service invocation API";
  private static final String BINDINGS = "the bindings API";
  private static final String SECRETS = "the secrets API";
  private static final String ACTORS = "the actors API";
  private static final String CONFIGURATION = "the configuration API";
  private static final String LOCK = "the distributed lock API";
  private static final String CRYPTO = "the cryptography API";
  private static final String SUBTLE_CRYPTO = "the subtle crypto API";
  private static final String WORKFLOW = "the workflow API";
  private static final String JOBS = "the jobs API";
  private static final String CONVERSATION = "the conversation API";

  /** The header (and Basic user name) daprd takes as the target of service invocation. */
  private static final String APP_ID_HEADER = "dapr-app-id";

  private static final String BASIC = "Basic ";

  private static final Pattern STAGE = Pattern.compile("(Alpha|Beta)(\\d+)$");

  /** A daprd route: version, methods (empty: any), and segments after the version. */
  private record Route(String version, Set<String> methods, List<String> pattern, String api) {
    boolean matches(String method, List<String> segments) {
      if (!segments.get(0).equals(version) || !methods.isEmpty() && !methods.contains(method)) {
        return false;
      }
      List<String> rest = segments.subList(1, segments.size());
      for (int i = 0; i < pattern.size(); i++) {
        String expected = pattern.get(i);
        if (expected.equals(REST)) {
          return rest.size() > i;
        }
        if (i >= rest.size() || !expected.equals(SEGMENT) && !expected.equals(rest.get(i))) {
          return false;
        }
      }
      return rest.size() == pattern.size();
    }
  }

  private static final List<Route> ROUTES = new ArrayList<>();

  /** Bare gRPC method name to the API it belongs to (with its stage). */
  private static final Map<String, String> GRPC_METHODS = new LinkedHashMap<>();

  static {
    addRoute(STATE_QUERY, List.of(ALPHA1), "POST PUT", "state/{}/query");
    addRoute(INVOCATION, List.of(V1), "", "invoke/**");
    addRoute(BINDINGS, List.of(V1), "POST PUT", "bindings/{}");
    addRoute(SECRETS, List.of(V1), "GET", "secrets/{}/bulk");
    addRoute(SECRETS, List.of(V1), "GET", "secrets/{}/{}");
    addRoute(ACTORS, List.of(V1), "POST PUT", "actors/{}/{}/state");
    addRoute(ACTORS, List.of(V1), "GET POST DELETE PUT", "actors/{}/{}/method/{}");
    addRoute(ACTORS, List.of(V1), "GET", "actors/{}/{}/state/{}");
    addRoute(ACTORS, List.of(V1), "GET POST PUT DELETE", "actors/{}/{}/reminders/{}");
    addRoute(ACTORS, List.of(V1), "POST PUT DELETE", "actors/{}/{}/timers/{}");
    for (String version : List.of(ALPHA1, V1)) {
      addRoute(CONFIGURATION, List.of(version), "GET", "configuration/{}");
      addRoute(CONFIGURATION, List.of(version), "GET", "configuration/{}/subscribe");
      addRoute(CONFIGURATION, List.of(version), "GET", "configuration/{}/{}/unsubscribe");
    }
    addRoute(LOCK, List.of(ALPHA1), "POST", "lock/{}");
    addRoute(LOCK, List.of(ALPHA1), "POST", "unlock/{}");
    addRoute(CRYPTO, List.of(ALPHA1), "PUT", "crypto/{}/encrypt");
    addRoute(CRYPTO, List.of(ALPHA1), "PUT", "crypto/{}/decrypt");
    for (String operation :
        List.of("getkey", "encrypt", "decrypt", "wrapkey", "unwrapkey", "sign", "verify")) {
      addRoute(SUBTLE_CRYPTO, List.of(ALPHA1), "POST", "subtlecrypto/{}/" + operation);
    }
    List<String> workflowVersions = List.of(ALPHA1, BETA1, V1);
    addRoute(WORKFLOW, workflowVersions, "GET", "workflows/{}/{}");
    addRoute(WORKFLOW, workflowVersions, "POST", "workflows/{}/{}/raiseEvent/{}");
    for (String operation : List.of("start", "pause", "resume", "terminate", "purge")) {
      addRoute(WORKFLOW, workflowVersions, "POST", "workflows/{}/{}/" + operation);
    }
    addRoute(JOBS, List.of(ALPHA1, V1), "POST DELETE GET", "jobs/{}");
    addRoute(CONVERSATION, List.of(ALPHA1, ALPHA2), "POST", "conversation/{}/converse");

    addMethods(STATE_QUERY, "QueryStateAlpha1");
    addMethods(INVOCATION, "InvokeService");
    addMethods(BINDINGS, "InvokeBinding");
    addMethods(SECRETS, "GetSecret", "GetBulkSecret");
    addMethods(
        ACTORS,
        "GetActorState",
        "ExecuteActorStateTransaction",
        "InvokeActor",
        "RegisterActorTimer",
        "UnregisterActorTimer",
        "RegisterActorReminder",
        "UnregisterActorReminder",
        "UnregisterActorRemindersByType",
        "GetActorReminder",
        "ListActorReminders",
        "SubscribeActorEventsAlpha1");
    addMethods(
        CONFIGURATION,
        "GetConfigurationAlpha1",
        "GetConfiguration",
        "SubscribeConfigurationAlpha1",
        "SubscribeConfiguration",
        "UnsubscribeConfigurationAlpha1",
        "UnsubscribeConfiguration");
    addMethods(LOCK, "TryLockAlpha1", "UnlockAlpha1");
    addMethods(CRYPTO, "EncryptAlpha1", "DecryptAlpha1");
    addMethods(
        SUBTLE_CRYPTO,
        "SubtleGetKeyAlpha1",
        "SubtleEncryptAlpha1",
        "SubtleDecryptAlpha1",
        "SubtleWrapKeyAlpha1",
        "SubtleUnwrapKeyAlpha1",
        "SubtleSignAlpha1",
        "SubtleVerifyAlpha1");
    for (String stage : List.of("Alpha1", "Beta1")) {
      for (String operation :
          List.of("Start", "Get", "Purge", "Terminate", "RaiseEvent", "Pause", "Resume")) {
        addMethods(WORKFLOW, operation + "Workflow" + stage);
      }
    }
    for (String stage : List.of("Alpha1", "")) {
      for (String operation :
          List.of("ScheduleJob", "GetJob", "DeleteJob", "ListJobs", "DeleteJobsByPrefix")) {
        addMethods(JOBS, operation + stage);
      }
    }
    addMethods(CONVERSATION, "ConverseAlpha1", "ConverseAlpha2");
  }

  private UnimplementedApis() {}

  private static void addRoute(String api, List<String> versions, String methods, String route) {
    Set<String> allowed = methods.isEmpty() ? Set.of() : Set.of(methods.split(" "));
    for (String version : versions) {
      ROUTES.add(
          new Route(
              version,
              allowed,
              List.of(route.split("/")),
              version.equals(V1) ? api : api + " (" + version.substring(V1.length() + 1) + ")"));
    }
  }

  private static void addMethods(String api, String... methods) {
    for (String method : methods) {
      Matcher stage = STAGE.matcher(method);
      GRPC_METHODS.put(
          method,
          stage.find()
              ? api + " (" + stage.group(1).toLowerCase(Locale.ROOT) + stage.group(2) + ")"
              : api);
    }
  }

  /**
   * The error for an HTTP request Pillion has no route for, when daprd would have served it: a
   * route of an API Pillion lacks, or any request addressed to another app (a {@code dapr-app-id}
   * header, or HTTP Basic credentials whose user is {@code dapr-app-id}), which daprd takes for
   * service invocation when no other route matches.
   *
   * @param method the request's method
   * @param segments the decoded path segments, the version first ({@code v1.0}, ...)
   * @param header a request header by name, "" when absent
   * @return 501 naming the API, or empty when daprd has no route either (a 404)
   */
  public static Optional<DaprApiError> http(
      String method, List<String> segments, Function<String, String> header) {
    if (!segments.isEmpty()) {
      for (Route route : ROUTES) {
        if (route.matches(method, segments)) {
          return Optional.of(DaprApiError.notImplemented(route.api()));
        }
      }
    }
    if (!header.apply(APP_ID_HEADER).isEmpty() || basicUserIsAppId(header.apply("Authorization"))) {
      return Optional.of(DaprApiError.notImplemented(INVOCATION));
    }
    return Optional.empty();
  }

  private static boolean basicUserIsAppId(String authorization) {
    if (!authorization.startsWith(BASIC)) {
      return false;
    }
    try {
      String credentials =
          new String(
              Base64.getDecoder().decode(authorization.substring(BASIC.length())),
              StandardCharsets.UTF_8);
      String[] pair = credentials.split(":", -1);
      return pair.length == 2 && pair[0].equalsIgnoreCase(APP_ID_HEADER);
    } catch (IllegalArgumentException e) {
      // Not Base64: daprd ignores such credentials too.
      return false;
    }
  }

  /**
   * The error for a method of the Dapr gRPC service Pillion does not implement.
   *
   * @param method the bare method name, e.g. {@code QueryStateAlpha1}
   * @return UNIMPLEMENTED naming the API, or the method itself when it is not one daprd had when
   *     this table was written
   */
  public static DaprApiError grpc(String method) {
    String api = GRPC_METHODS.get(method);
    return DaprApiError.notImplemented(
        api != null ? api : "the Dapr API method " + GRPC_SERVICE + "/" + method);
  }

  /**
   * The daprd gRPC methods Pillion does not implement, including those newer than the Dapr SDK
   * whose service descriptor Pillion serves.
   *
   * @return the bare method names
   */
  public static Set<String> grpcMethods() {
    return Collections.unmodifiableSet(GRPC_METHODS.keySet());
  }
}
