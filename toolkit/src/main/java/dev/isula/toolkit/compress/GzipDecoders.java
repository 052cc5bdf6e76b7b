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

  /** The native inflater, or why there is none. */
  private static final Java22Codec<Inflater> NATIVE =
      new Java22Codec<>(NATIVE_CLASS, Inflater.class);

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
      Object n = NATIVE.get();
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
        return NATIVE.get() instanceof Inflater i ? i : JAVA;
      case "isal":
        Object n = NATIVE.get();
        if (n instanceof Inflater i) {
          return i;
        }
        throw new IOException(ENV + "=isal, but ISA-L cannot be used: " + n);
      default:
        throw new IOException(ENV + "='" + choice + "' is not one of auto, isal, java");
    }
  }
}
