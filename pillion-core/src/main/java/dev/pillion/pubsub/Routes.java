package dev.pillion.pubsub;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.cel.common.CelValidationException;
import dev.cel.common.types.MapType;
import dev.cel.common.types.SimpleType;
import dev.cel.compiler.CelCompiler;
import dev.cel.compiler.CelCompilerFactory;
import dev.cel.parser.CelStandardMacro;
import dev.cel.runtime.CelEvaluationException;
import dev.cel.runtime.CelRuntime;
import dev.cel.runtime.CelRuntimeFactory;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * Picks the route of an event, as Dapr's subscription {@code routes} do: the first rule whose CEL
 * {@code match} expression is true over {@code event} (the CloudEvent: {@code event.type}, {@code
 * event.data.x}, ...), else the default route; with neither, the event is dropped. Expressions are
 * compiled once, when the subscription is defined, so a bad rule is an error naming it rather than
 * a failure at delivery.
 */
public final class Routes {
  private static final CelCompiler COMPILER =
      CelCompilerFactory.standardCelCompilerBuilder()
          // has(), all, exists, exists_one, map, filter: on by default in cel-go, hence in Dapr.
          .setStandardMacros(CelStandardMacro.STANDARD_MACROS)
          .addVar("event", MapType.create(SimpleType.STRING, SimpleType.DYN))
          .build();
  private static final CelRuntime RUNTIME = CelRuntimeFactory.standardCelRuntimeBuilder().build();

  private final List<Rule> rules;
  private final Optional<String> defaultRoute;

  private record Rule(String match, String path, CelRuntime.Program program) {}

  private Routes(List<Rule> rules, Optional<String> defaultRoute) {
    this.rules = List.copyOf(rules);
    this.defaultRoute = defaultRoute;
  }

  /**
   * A single route for every event.
   *
   * @param path the route
   * @return the routes
   */
  public static Routes single(String path) {
    return new Routes(List.of(), Optional.of(path));
  }

  /**
   * Rules without a default: an event no rule matches is dropped.
   *
   * @param rules (match expression, path) pairs, in order
   * @param where the subscription, for error messages
   * @return the routes
   * @throws IllegalArgumentException naming the rule whose expression does not compile
   */
  public static Routes of(List<Map.Entry<String, String>> rules, String where) {
    return compile(rules, Optional.empty(), where);
  }

  /**
   * Rules and a default.
   *
   * @param rules (match expression, path) pairs, in order
   * @param defaultRoute the route when no rule matches
   * @param where the subscription, for error messages
   * @return the routes
   * @throws IllegalArgumentException naming the rule whose expression does not compile
   */
  public static Routes of(
      List<Map.Entry<String, String>> rules, String defaultRoute, String where) {
    return compile(rules, Optional.of(defaultRoute), where);
  }

  private static Routes compile(
      List<Map.Entry<String, String>> rules, Optional<String> defaultRoute, String where) {
    List<Rule> compiled = new ArrayList<>();
    int index = 0;
    for (Map.Entry<String, String> rule : rules) {
      try {
        CelRuntime.Program program =
            RUNTIME.createProgram(COMPILER.compile(rule.getKey()).getAst());
        compiled.add(new Rule(rule.getKey(), rule.getValue(), program));
      } catch (CelValidationException | CelEvaluationException e) {
        throw new IllegalArgumentException(
            where
                + ": routes.rules["
                + index
                + "].match '"
                + rule.getKey()
                + "' is not a valid CEL expression: "
                + e.getMessage(),
            e);
      }
      index++;
    }
    return new Routes(compiled, defaultRoute);
  }

  /**
   * The route for an event.
   *
   * @param event the event
   * @return the path, or empty to drop the event
   */
  public Optional<String> select(Event event) {
    if (rules.isEmpty()) {
      return defaultRoute;
    }
    Map<String, Object> variables = Map.of("event", celEvent(event));
    for (Rule rule : rules) {
      try {
        if (Boolean.TRUE.equals(rule.program().eval(variables))) {
          return Optional.of(rule.path());
        }
      } catch (CelEvaluationException e) {
        // A rule that cannot be evaluated for this event (e.g. a missing field) does not match it,
        // as in Dapr.
      }
    }
    return defaultRoute;
  }

  /**
   * Every route the rules can pick, for subscription listings.
   *
   * @return the paths, rules first, then the default
   */
  public List<String> paths() {
    List<String> paths = new ArrayList<>();
    rules.forEach(rule -> paths.add(rule.path()));
    defaultRoute.ifPresent(paths::add);
    return paths;
  }

  /**
   * The rules as (match, path) pairs.
   *
   * @return the rules in order
   */
  public List<Map.Entry<String, String>> rules() {
    List<Map.Entry<String, String>> list = new ArrayList<>();
    rules.forEach(rule -> list.add(Map.entry(rule.match(), rule.path())));
    return list;
  }

  /**
   * The default route.
   *
   * @return the path, or empty
   */
  public Optional<String> defaultRoute() {
    return defaultRoute;
  }

  private static Map<String, Object> celEvent(Event event) {
    // The envelope the delivery read once; a raw payload exposes what is known about the event.
    ObjectNode envelope = event.envelopeTree();
    if (envelope != null) {
      @SuppressWarnings("unchecked")
      Map<String, Object> map = (Map<String, Object>) toCel(envelope);
      return map;
    }
    Map<String, Object> map = new LinkedHashMap<>();
    map.put("id", event.id());
    map.put("topic", event.topic());
    map.put("pubsubname", event.pubsubName());
    return map;
  }

  /** JSON to the values CEL knows: int64, double, string, bool, lists and maps. */
  private static Object toCel(JsonNode node) {
    if (node.isObject()) {
      Map<String, Object> map = new LinkedHashMap<>();
      Iterator<Map.Entry<String, JsonNode>> fields = node.fields();
      while (fields.hasNext()) {
        Map.Entry<String, JsonNode> field = fields.next();
        map.put(field.getKey(), toCel(field.getValue()));
      }
      return map;
    }
    if (node.isArray()) {
      List<Object> list = new ArrayList<>();
      node.forEach(item -> list.add(toCel(item)));
      return list;
    }
    if (node.isIntegralNumber()) {
      return node.asLong();
    }
    if (node.isNumber()) {
      return node.asDouble();
    }
    if (node.isBoolean()) {
      return node.asBoolean();
    }
    if (node.isNull()) {
      return com.google.protobuf.NullValue.NULL_VALUE;
    }
    return node.asText();
  }
}
