package dev.isula.toolkit.image;

/**
 * Image names normalised the way docker does, so {@code busybox}, {@code busybox:latest} and {@code
 * docker.io/library/busybox:latest} compare equal.
 */
public final class ImageName {
  private static final String COMPONENT = "[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*";
  private static final String HOST =
      "(?:[a-zA-Z0-9](?:[a-zA-Z0-9-]*[a-zA-Z0-9])?)(?:\\.[a-zA-Z0-9](?:[a-zA-Z0-9-]*[a-zA-Z0-9])?)*"
          + "(?::[0-9]+)?";
  private static final java.util.regex.Pattern REFERENCE =
      java.util.regex.Pattern.compile(
          "(?:"
              + HOST
              + "/)?"
              + COMPONENT
              + "(?:/"
              + COMPONENT
              + ")*"
              + "(?::[A-Za-z0-9_][A-Za-z0-9_.-]{0,127})?"
              + "(?:@sha256:[0-9a-f]{64})?");

  private ImageName() {}

  /**
   * True if {@code name} is a valid docker image reference ({@code [host/]path[:tag][@digest]}).
   */
  public static boolean isValid(String name) {
    return name.length() <= 255 && REFERENCE.matcher(name).matches();
  }

  /** The fully qualified form: {@code docker.io/library/busybox:latest}. */
  public static String normalize(String name) {
    String rest = name;
    String domain;
    int slash = rest.indexOf('/');
    if (slash > 0) {
      String first = rest.substring(0, slash);
      if (first.contains(".") || first.contains(":") || first.equals("localhost")) {
        domain = first;
        rest = rest.substring(slash + 1);
      } else {
        domain = "docker.io";
      }
    } else {
      domain = "docker.io";
    }
    if (domain.equals("index.docker.io")) {
      domain = "docker.io";
    }
    if (domain.equals("docker.io") && !rest.contains("/")) {
      rest = "library/" + rest;
    }
    int lastSlash = rest.lastIndexOf('/');
    String last = rest.substring(lastSlash + 1);
    if (!last.contains(":") && !last.contains("@")) {
      rest = rest + ":latest";
    }
    return domain + "/" + rest;
  }

  /** The short form docker prints: {@code busybox:latest}, {@code foo/bar:1}. */
  public static String familiar(String name) {
    String n = normalize(name);
    if (n.startsWith("docker.io/library/")) {
      return n.substring("docker.io/library/".length());
    }
    if (n.startsWith("docker.io/")) {
      return n.substring("docker.io/".length());
    }
    return n;
  }

  /** True if both names denote the same repository and tag. */
  public static boolean same(String a, String b) {
    return normalize(a).equals(normalize(b));
  }
}
