package dev.pillion.pubsub;

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
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.OptionalInt;

/**
 * The CEL side of {@link Routes}: the only class of Pillion that references CEL (an optional
 * dependency), loaded only when a subscription has routing rules.
 */
final class CelRules implements Routes.RuleMatcher {
  private static final CelCompiler COMPILER =
      CelCompilerFactory.standardCelCompilerBuilder()
          // has(), all, exists, exists_one, map, filter: on by default in cel-go, hence in Dapr.
          .setStandardMacros(CelStandardMacro.STANDARD_MACROS)
          .addVar("event", MapType.create(SimpleType.STRING, SimpleType.DYN))
          .build();
  private static final CelRuntime RUNTIME = CelRuntimeFactory.standardCelRuntimeBuilder().build();

  private final List<CelRuntime.Program> programs;

  private CelRules(List<CelRuntime.Program> programs) {
    this.programs = List.copyOf(programs);
  }

  /**
   * Compiles the match expressions of one subscription's rules.
   *
   * @param expressions the expressions, in rule order
   * @param where the subscription, for error messages
   * @return the compiled rules
   * @throws IllegalArgumentException naming the rule whose expression does not compile
   */
  static CelRules compile(List<String> expressions, String where) {
    List<CelRuntime.Program> programs = new ArrayList<>();
    int index = 0;
    for (String expression : expressions) {
      try {
        programs.add(RUNTIME.createProgram(COMPILER.compile(expression).getAst()));
      } catch (CelValidationException | CelEvaluationException e) {
        throw new IllegalArgumentException(
            where
                + ": routes.rules["
                + index
                + "].match '"
                + expression
                + "' is not a valid CEL expression: "
                + e.getMessage(),
            e);
      }
      index++;
    }
    return new CelRules(programs);
  }

  @Override
  public OptionalInt firstMatch(Event event) {
    Map<String, Object> variables = Map.of("event", celEvent(event));
    for (int index = 0; index < programs.size(); index++) {
      try {
        if (Boolean.TRUE.equals(programs.get(index).eval(variables))) {
          return OptionalInt.of(index);
        }
      } catch (CelEvaluationException e) {
        // A rule that cannot be evaluated for this event (e.g. a missing field) does not match it,
        // as in Dapr.
      }
    }
    return OptionalInt.empty();
  }

  private static Map<String, Object> celEvent(Event event) {
    // The envelope the delivery read once; a raw payload exposes what is known about the event.
    Map<String, Object> envelope = event.envelopeTree();
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
  private static Object toCel(Object value) {
    if (value instanceof Map<?, ?> object) {
      Map<String, Object> map = new LinkedHashMap<>();
      object.forEach((name, field) -> map.put((String) name, toCel(field)));
      return map;
    }
    if (value instanceof List<?> array) {
      List<Object> list = new ArrayList<>();
      array.forEach(item -> list.add(toCel(item)));
      return list;
    }
    if (value instanceof Json.Number number) {
      return number.integral() ? (Object) number.longValue() : (Object) number.doubleValue();
    }
    if (value == Json.NULL) {
      return com.google.protobuf.NullValue.NULL_VALUE;
    }
    // Strings and booleans are CEL's as they are.
    return value;
  }
}
