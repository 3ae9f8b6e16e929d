package dev.pillion.pubsub;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalInt;

/**
 * Picks the route of an event, as Dapr's subscription {@code routes} do: the first rule whose CEL
 * {@code match} expression is true over {@code event} (the CloudEvent: {@code event.type}, {@code
 * event.data.x}, ...), else the default route; with neither, the event is dropped. Expressions are
 * compiled once, when the subscription is defined, so a bad rule is an error naming it rather than
 * a failure at delivery.
 *
 * <p>CEL ({@code dev.cel:cel} and its Guava) is an optional dependency of pillion-core, loaded only
 * for a subscription with rules; without it such a subscription is refused with an error naming it
 * and the missing library. pillion-server and the CLI ship it.
 */
public final class Routes {
  /** The first rule an event matches, by index; the CEL implementation is {@link CelRules}. */
  interface RuleMatcher {
    OptionalInt firstMatch(Event event);
  }

  private static final RuleMatcher NO_RULES = event -> OptionalInt.empty();

  /** A class of CEL's runtime, probed without initialising it. */
  private static final String CEL_PROBE = "dev.cel.runtime.CelRuntime";

  private final List<Rule> rules;
  private final RuleMatcher matcher;
  private final Optional<String> defaultRoute;

  private record Rule(String match, String path) {}

  private Routes(List<Rule> rules, RuleMatcher matcher, Optional<String> defaultRoute) {
    this.rules = List.copyOf(rules);
    this.matcher = matcher;
    this.defaultRoute = defaultRoute;
  }

  /**
   * A single route for every event.
   *
   * @param path the route
   * @return the routes
   */
  public static Routes single(String path) {
    return new Routes(List.of(), NO_RULES, Optional.of(path));
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
   * @throws IllegalArgumentException naming the rule whose expression does not compile, or, for
   *     rules when CEL is not on the class path, naming {@code where} and the missing library
   */
  public static Routes of(
      List<Map.Entry<String, String>> rules, String defaultRoute, String where) {
    return compile(rules, Optional.of(defaultRoute), where);
  }

  private static Routes compile(
      List<Map.Entry<String, String>> rules, Optional<String> defaultRoute, String where) {
    if (rules.isEmpty()) {
      return new Routes(List.of(), NO_RULES, defaultRoute);
    }
    requireCel(where);
    List<Rule> kept = new ArrayList<>();
    List<String> expressions = new ArrayList<>();
    for (Map.Entry<String, String> rule : rules) {
      kept.add(new Rule(rule.getKey(), rule.getValue()));
      expressions.add(rule.getKey());
    }
    return new Routes(kept, CelRules.compile(expressions, where), defaultRoute);
  }

  private static void requireCel(String where) {
    try {
      Class.forName(CEL_PROBE, false, Routes.class.getClassLoader());
    } catch (ClassNotFoundException | LinkageError e) {
      throw new IllegalArgumentException(
          where
              + ": routes.rules are CEL expressions, and CEL (dev.cel:cel, an optional dependency"
              + " of pillion-core; module 'cel') is not on the class path or module path: add"
              + " dev.cel:cel 0.6.0 to the application (pillion-server and the pillion CLI include"
              + " it), or give the subscription a single route",
          e);
    }
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
    OptionalInt match = matcher.firstMatch(event);
    return match.isPresent() ? Optional.of(rules.get(match.getAsInt()).path()) : defaultRoute;
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
}
