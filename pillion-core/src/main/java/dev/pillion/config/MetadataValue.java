package dev.pillion.config;

import java.util.Objects;

/**
 * The value of one metadata entry of a component as its definition states it: a literal, or a
 * reference the runtime resolves when it loads the component ({@code envRef} from the environment,
 * {@code secretKeyRef} from the secret store named by the component's {@code auth.secretStore}).
 */
public sealed interface MetadataValue
    permits MetadataValue.Literal, MetadataValue.EnvRef, MetadataValue.SecretKeyRef {
  /**
   * A literal value.
   *
   * @param value the value
   * @return the metadata value
   */
  static MetadataValue literal(String value) {
    return new Literal(value);
  }

  /**
   * The value of an environment variable.
   *
   * @param variable the variable's name
   * @return the metadata value
   */
  static MetadataValue envRef(String variable) {
    return new EnvRef(variable);
  }

  /**
   * One key of a secret.
   *
   * @param name the secret's name
   * @param key the key within the secret; empty means the secret's name, as in Dapr
   * @return the metadata value
   */
  static MetadataValue secretKeyRef(String name, String key) {
    return new SecretKeyRef(name, key);
  }

  /**
   * A literal value.
   *
   * @param value the value
   */
  record Literal(String value) implements MetadataValue {
    /** Checks the value. */
    public Literal {
      Objects.requireNonNull(value, "value");
    }
  }

  /**
   * {@code envRef}: an environment variable's value.
   *
   * @param variable the variable's name
   */
  record EnvRef(String variable) implements MetadataValue {
    /** Checks the name. */
    public EnvRef {
      Objects.requireNonNull(variable, "variable");
      if (variable.isEmpty()) {
        throw new IllegalArgumentException("envRef needs a variable name");
      }
    }
  }

  /**
   * {@code secretKeyRef}: one key of a secret from the component's {@code auth.secretStore}.
   *
   * @param name the secret's name
   * @param key the key within the secret; empty means the secret's name
   */
  record SecretKeyRef(String name, String key) implements MetadataValue {
    /** Checks the fields. */
    public SecretKeyRef {
      Objects.requireNonNull(name, "name");
      Objects.requireNonNull(key, "key");
      if (name.isEmpty()) {
        throw new IllegalArgumentException("secretKeyRef needs a secret name");
      }
    }

    /**
     * The key to read: {@link #key()}, or the secret's name when no key is given.
     *
     * @return the key
     */
    public String effectiveKey() {
      return key.isEmpty() ? name : key;
    }
  }
}
