package dev.isula.toolkit.compress;

import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/** Whether a native codec is in use, for the tests that need it. */
final class NativeCodecs {
  private NativeCodecs() {}

  /**
   * Skips the test on a JVM older than 22 (no FFM), or where {@code describe} (the codec line of
   * {@code --version --verbose}) does not start with {@code prefix}; under CI, which installs
   * {@code debianPackage}, the second is a failure instead.
   */
  static void assumeInUse(String what, String describe, String prefix, String debianPackage) {
    assumeTrue(
        Runtime.version().feature() >= 22,
        what + " needs Java 22+; this JVM is " + Runtime.version());
    if ("true".equals(System.getenv("CI"))) {
      assertTrue(
          describe.startsWith(prefix), "CI installs " + debianPackage + ", but: " + describe);
    } else {
      assumeTrue(describe.startsWith(prefix), describe);
    }
  }
}
