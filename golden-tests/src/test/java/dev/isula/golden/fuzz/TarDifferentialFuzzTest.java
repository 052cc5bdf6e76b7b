package dev.isula.golden.fuzz;

import com.code_intelligence.jazzer.junit.FuzzTest;

/**
 * {@link TarDifferential} on arbitrary bytes: our tar reader and commons-compress's must agree on
 * every archive (names, types, sizes, contents) or both refuse it, but for the documented
 * differences. Run with {@code scripts/fuzz.sh 10
 * TarDifferentialFuzzTest#compareWithCommonsCompress}.
 */
class TarDifferentialFuzzTest {
  @FuzzTest(maxDuration = "2m")
  void compareWithCommonsCompress(byte[] data) {
    String difference = TarDifferential.difference(data);
    if (difference != null) {
      throw new AssertionError(difference);
    }
  }
}
