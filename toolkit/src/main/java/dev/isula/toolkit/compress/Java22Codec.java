package dev.isula.toolkit.compress;

/**
 * A codec implemented in the Java 22 section of the multi-release jar (through the FFM API), loaded
 * by name on first use: the instance, or a sentence saying why there is none (an older Java, a jar
 * built with Java 17, a missing or failing native library).
 */
final class Java22Codec<T> {
  private final String className;
  private final Class<T> type;
  private volatile Object instanceOrReason;

  Java22Codec(String className, Class<T> type) {
    this.className = className;
    this.type = type;
  }

  /** The instance (a {@code T}), or a String saying why there is none; loaded once. */
  Object get() {
    Object n = instanceOrReason;
    if (n == null) {
      synchronized (this) {
        n = instanceOrReason;
        if (n == null) {
          n = load();
          instanceOrReason = n;
        }
      }
    }
    return n;
  }

  private Object load() {
    if (Runtime.version().feature() < 22) {
      return "needs Java 22 or newer, this is Java " + Runtime.version().feature();
    }
    try {
      return type.cast(Class.forName(className).getDeclaredConstructor().newInstance());
    } catch (ClassNotFoundException e) {
      return "this build of isula-toolkit has no Java 22 code (built with Java 17)";
    } catch (java.lang.reflect.InvocationTargetException e) {
      Throwable c = e.getCause();
      return c.getMessage() == null ? c.toString() : c.getMessage();
    } catch (ReflectiveOperationException | LinkageError | RuntimeException e) {
      return e.toString();
    }
  }
}
