package dev.isula.toolkit.image;

import dev.isula.toolkit.api.UsageException;
import java.util.Locale;
import java.util.Objects;

/**
 * An {@code os/architecture[/variant]} triple, normalised the way container runtimes compare them:
 * {@code x86_64} is {@code amd64}, {@code aarch64} is {@code arm64}, and a missing variant means
 * the architecture's default ({@code arm64/v8}, {@code arm/v7}).
 */
public final class Platform {
  private final String os;
  private final String architecture;
  private final String variant;

  private Platform(String os, String architecture, String variant) {
    this.os = os;
    this.architecture = architecture;
    this.variant = variant;
  }

  public static Platform of(String os, String architecture, String variant) {
    String arch = normalizeArch(Objects.requireNonNullElse(architecture, ""));
    String v = Objects.requireNonNullElse(variant, "").toLowerCase(Locale.ROOT);
    String aliasVariant = aliasVariant(Objects.requireNonNullElse(architecture, ""));
    if (v.isEmpty() && aliasVariant != null) {
      v = aliasVariant;
    }
    return new Platform(Objects.requireNonNullElse(os, "").toLowerCase(Locale.ROOT), arch, v);
  }

  /**
   * Parses {@code os/arch[/variant]}.
   *
   * @throws UsageException if the text is not of that form
   */
  public static Platform parse(String text) throws UsageException {
    String[] parts = text.split("/", -1);
    if (parts.length < 2 || parts.length > 3 || parts[0].isEmpty() || parts[1].isEmpty()) {
      throw new UsageException(
          "invalid platform '" + text + "': expected os/arch[/variant], e.g. linux/arm64");
    }
    return of(parts[0], parts[1], parts.length == 3 ? parts[2] : "");
  }

  /** The platform this JVM runs on, as an image for it would declare it. */
  public static Platform host() {
    String os = System.getProperty("os.name", "linux").toLowerCase(Locale.ROOT);
    if (os.startsWith("windows")) {
      os = "windows";
    } else if (os.startsWith("mac")) {
      os = "darwin";
    }
    return of(os, System.getProperty("os.arch", "amd64"), "");
  }

  private static String normalizeArch(String arch) {
    return switch (arch.toLowerCase(Locale.ROOT)) {
      case "x86_64", "x86-64", "amd64" -> "amd64";
      case "aarch64", "arm64" -> "arm64";
      case "armhf", "armel", "arm", "armv7l", "armv6l" -> "arm";
      case "i386", "i686", "x86", "386" -> "386";
      case "ppc64le" -> "ppc64le";
      default -> arch.toLowerCase(Locale.ROOT);
    };
  }

  private static String aliasVariant(String arch) {
    return switch (arch.toLowerCase(Locale.ROOT)) {
      case "armhf", "armv7l" -> "v7";
      case "armel", "armv6l" -> "v6";
      default -> null;
    };
  }

  private static String defaultVariant(String arch) {
    return switch (arch) {
      case "arm64" -> "v8";
      case "arm" -> "v7";
      case "amd64" -> "v1";
      default -> "";
    };
  }

  public String os() {
    return os;
  }

  public String architecture() {
    return architecture;
  }

  /** The variant as given (may be empty). */
  public String variant() {
    return variant;
  }

  /** True when {@code candidate} (from an index or config) satisfies this wanted platform. */
  public boolean matches(Platform candidate) {
    if (!os.equals(candidate.os) || !architecture.equals(candidate.architecture)) {
      return false;
    }
    String want = variant.isEmpty() ? defaultVariant(architecture) : variant;
    String have = candidate.variant.isEmpty() ? defaultVariant(architecture) : candidate.variant;
    return want.equals(have);
  }

  /** Attestation and other non-image entries in indexes carry {@code unknown/unknown}. */
  public boolean isUnknown() {
    return "unknown".equals(os) && "unknown".equals(architecture);
  }

  @Override
  public boolean equals(Object o) {
    return o instanceof Platform p
        && os.equals(p.os)
        && architecture.equals(p.architecture)
        && variant.equals(p.variant);
  }

  @Override
  public int hashCode() {
    return Objects.hash(os, architecture, variant);
  }

  @Override
  public String toString() {
    return os + "/" + architecture + (variant.isEmpty() ? "" : "/" + variant);
  }
}
