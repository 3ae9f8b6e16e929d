package dev.pillion.server.api.unimplemented;

import dev.pillion.server.DaprApiError;
import dev.pillion.server.DaprApiException;
import dev.pillion.server.grpc.DaprServiceDefinition;
import dev.pillion.server.spi.ApiModule;
import dev.pillion.server.spi.GrpcMethod;
import dev.pillion.server.spi.HttpRoute;
import io.dapr.v1.DaprGrpc;
import io.grpc.MethodDescriptor;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The Dapr APIs daprd serves and Pillion does not: every HTTP route and gRPC method of them answers
 * 501 / UNIMPLEMENTED with a message naming the API and its stage ("the workflow API (beta1) is not
 * implemented by Pillion"), the same message over both protocols, so a client can tell a building
 * block Pillion lacks from a typo in its path. Read from daprd's routes ({@code pkg/api/http}) and
 * the methods of {@code dapr.proto.runtime.v1.Dapr}; a path no Dapr API has is still a 404.
 *
 * <p>The table is an {@link ApiModule}, registered after every other and built from what they leave
 * unserved ({@link #notServedBy}): a row whose gRPC method another module serves is left out, and a
 * route keeps only the HTTP methods no other module serves with the same path shape. Implementing
 * an API therefore needs no edit here: its module's registration takes its rows out of the table,
 * and any part of the API it does not serve still answers 501 naming the API.
 */
public final class UnimplementedApis implements ApiModule {
  private static final String V1 = "v1.0";
  private static final String ALPHA1 = "v1.0-alpha1";
  private static final String ALPHA2 = "v1.0-alpha2";
  private static final String BETA1 = "v1.0-beta1";

  /** Matches exactly one path segment in a route. */
  private static final String SEGMENT = "{}";

  /** Matches one or more segments at the end of a route. */
  private static final String REST = "**";

  private static final String STATE_QUERY = "the state query API";
  private static final String BINDINGS = "the bindings API";
  private static final String ACTORS = "the actors API";
  private static final String CONFIGURATION = "the configuration API";
  private static final String LOCK = "the distributed lock API";
  private static final String CRYPTO = "the cryptography API";
  private static final String SUBTLE_CRYPTO = "the subtle crypto API";
  private static final String WORKFLOW = "the workflow API";
  private static final String JOBS = "the jobs API";
  private static final String CONVERSATION = "the conversation API";

  private static final Pattern STAGE = Pattern.compile("(Alpha|Beta)(\\d+)$");

  /** A daprd route: version, methods (empty: any), and segments after the version. */
  private record Route(String version, Set<String> methods, List<String> pattern, String api) {
    /** The route as a Pillion route answering 501 naming the API, for every one of its methods. */
    HttpRoute toHttpRoute() {
      return toHttpRoute(methods);
    }

    /** The route as a Pillion route answering 501 naming the API, for the given methods. */
    HttpRoute toHttpRoute(Set<String> methods) {
      StringBuilder path = new StringBuilder("/").append(version);
      int parameter = 0;
      for (String segment : pattern) {
        path.append('/');
        if (segment.equals(SEGMENT)) {
          path.append("{p").append(parameter++).append('}');
        } else if (segment.equals(REST)) {
          path.append("{rest...}");
        } else {
          path.append(segment);
        }
      }
      DaprApiError error = DaprApiError.notImplemented(api);
      return HttpRoute.create(
          methods.isEmpty() ? "*" : String.join(" ", methods),
          path.toString(),
          request -> {
            throw new DaprApiException(error);
          });
    }
  }

  private static final List<Route> ROUTES = new ArrayList<>();

  /** Bare gRPC method name to the API it belongs to (with its stage). */
  private static final Map<String, String> GRPC_METHODS = new LinkedHashMap<>();

  static {
    addRoute(STATE_QUERY, List.of(ALPHA1), "POST PUT", "state/{}/query");
    addRoute(BINDINGS, List.of(V1), "POST PUT", "bindings/{}");
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
    addMethods(BINDINGS, "InvokeBinding");
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

  private final List<HttpRoute> httpRoutes;
  private final List<String> grpcMethods;

  private UnimplementedApis(List<HttpRoute> httpRoutes, List<String> grpcMethods) {
    this.httpRoutes = List.copyOf(httpRoutes);
    this.grpcMethods = List.copyOf(grpcMethods);
  }

  /**
   * The module for the APIs the given modules leave unserved: every row of the table but the gRPC
   * methods they serve, and every route with only the HTTP methods they do not serve on a route of
   * the same shape (a route of theirs that takes any method takes the whole row).
   *
   * @param modules the modules registered before this one
   * @return the module
   */
  public static UnimplementedApis notServedBy(List<ApiModule> modules) {
    Set<String> servedMethods = new HashSet<>();
    Map<String, Set<String>> servedByShape = new HashMap<>();
    Set<String> anyMethodShapes = new HashSet<>();
    for (ApiModule module : modules) {
      module.grpcMethods().forEach(method -> servedMethods.add(method.name()));
      for (HttpRoute route : module.httpRoutes()) {
        if (route.methods().isEmpty()) {
          anyMethodShapes.add(route.shape());
        } else {
          servedByShape
              .computeIfAbsent(route.shape(), shape -> new HashSet<>())
              .addAll(route.methods());
        }
      }
    }
    List<HttpRoute> routes = new ArrayList<>();
    for (Route route : ROUTES) {
      String shape = route.toHttpRoute().shape();
      if (anyMethodShapes.contains(shape)) {
        continue;
      }
      Set<String> left = new TreeSet<>(route.methods());
      left.removeAll(servedByShape.getOrDefault(shape, Set.of()));
      if (!left.isEmpty()) {
        routes.add(route.toHttpRoute(left));
      }
    }
    List<String> methods = new ArrayList<>();
    for (String method : GRPC_METHODS.keySet()) {
      if (!servedMethods.contains(method)) {
        methods.add(method);
      }
    }
    return new UnimplementedApis(routes, methods);
  }

  @Override
  public String name() {
    return "unimplemented";
  }

  @Override
  public List<HttpRoute> httpRoutes() {
    return httpRoutes;
  }

  @Override
  public List<GrpcMethod> grpcMethods() {
    Map<String, MethodDescriptor<?, ?>> known = new LinkedHashMap<>();
    for (MethodDescriptor<?, ?> method : DaprGrpc.getServiceDescriptor().getMethods()) {
      known.put(method.getBareMethodName(), method);
    }
    List<GrpcMethod> methods = new ArrayList<>();
    for (String method : grpcMethods) {
      MethodDescriptor<?, ?> descriptor = known.get(method);
      methods.add(
          GrpcMethod.of(
              descriptor != null
                  ? DaprServiceDefinition.unimplemented(descriptor, grpc(method))
                  : DaprServiceDefinition.unimplemented(
                      DaprServiceDefinition.unknownMethod(method), grpc(method))));
    }
    return methods;
  }

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
   * The error for a method of the Dapr gRPC service Pillion does not implement.
   *
   * @param method the bare method name, e.g. {@code QueryStateAlpha1}
   * @return UNIMPLEMENTED naming the API, or the method itself when it is not one daprd had when
   *     this table was written
   */
  public static DaprApiError grpc(String method) {
    String api = GRPC_METHODS.get(method);
    return DaprApiError.notImplemented(
        api != null
            ? api
            : "the Dapr API method " + DaprServiceDefinition.GRPC_SERVICE + "/" + method);
  }
}
