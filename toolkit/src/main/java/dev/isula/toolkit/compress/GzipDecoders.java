package dev.isula.toolkit.compress;

import java.io.IOException;
import java.io.InputStream;
import java.util.Locale;
import org.apache.commons.compress.compressors.gzip.GzipCompressorInputStream;

/**
 * Chooses the gzip inflater: ISA-L through the FFM API when the JVM is 22 or newer and {@code
 * libisal.so.2} is installed, else {@code java.util.zip}. Inflating gives the same bytes whichever
 * runs (and both check every member's CRC-32 and size), so the choice only changes speed, never
 * output; it is still reported by {@code isula --version --verbose}.
 *
 * <p>{@value #PROPERTY} (system property) or {@value #ENV} (environment) picks one: {@code auto}
 * (the default), {@code isal} (fail when it cannot be used) or {@code java}.
 */
public final class GzipDecoders {
  public static final String PROPERTY = "isula.toolkit.inflate";
  public static final String ENV = "ISULA_INFLATE";

  /** The class in the Java 22 section of the jar; absent on the Java 17 class path. */
  private static final String NATIVE_CLASS = "dev.isula.toolkit.compress.IsalGzipInflater";

  /** One way to inflate gzip; implemented outside the Java 17 code by the native inflater. */
  interface Inflater {
    String name();

    InputStream open(InputStream in) throws IOException;
  }

  private static final Inflater JAVA =
      new Inflater() {
        @Override
        public String name() {
          return "java.util.zip";
        }

        @Override
        public InputStream open(InputStream in) throws IOException {
          return new GzipCompressorInputStream(in, true);
        }
      };

  private static volatile Object nativeOrReason;

  private GzipDecoders() {}

  /** Returns {@code in} (a gzip stream of one or more members) inflated. */
  public static InputStream open(InputStream in) throws IOException {
    return current().open(in);
  }

  /**
   * The inflater used now, as a line for {@code --version --verbose}: its name and, when ISA-L is
   * not used, why.
   */
  public static String describe() {
    try {
      Inflater i = current();
      if (i != JAVA) {
        return i.name();
      }
      Object n = loadNative();
      return JAVA.name()
          + (n instanceof String reason
              ? " (ISA-L not used: " + reason + ")"
              : " (chosen by " + ENV + ")");
    } catch (IOException e) {
      return e.getMessage();
    }
  }

  private static Inflater current() throws IOException {
    String choice = System.getProperty(PROPERTY);
    if (choice == null || choice.isBlank()) {
      choice = System.getenv(ENV);
    }
    choice = choice == null || choice.isBlank() ? "auto" : choice.trim().toLowerCase(Locale.ROOT);
    switch (choice) {
      case "java":
        return JAVA;
      case "auto":
        return loadNative() instanceof Inflater i ? i : JAVA;
      case "isal":
        Object n = loadNative();
        if (n instanceof Inflater i) {
          return i;
        }
        throw new IOException(ENV + "=isal, but ISA-L cannot be used: " + n);
      default:
        throw new IOException(ENV + "='" + choice + "' is not one of auto, isal, java");
    }
  }

  /** The native inflater, or a String saying why there is none. */
  private static Object loadNative() {
    Object n = nativeOrReason;
    if (n == null) {
      synchronized (GzipDecoders.class) {
        n = nativeOrReason;
        if (n == null) {
          n = tryNative();
          nativeOrReason = n;
        }
      }
    }
    return n;
  }

  private static Object tryNative() {
    if (Runtime.version().feature() < 22) {
      return "needs Java 22 or newer, this is Java " + Runtime.version().feature();
    }
    try {
      return (Inflater) Class.forName(NATIVE_CLASS).getDeclaredConstructor().newInstance();
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
