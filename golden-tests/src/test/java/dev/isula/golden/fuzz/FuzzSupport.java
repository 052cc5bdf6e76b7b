package dev.isula.golden.fuzz;

import dev.isula.toolkit.api.IsulaException;
import dev.isula.toolkit.io.ExpansionLimit;
import dev.isula.toolkit.io.Trees;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Stream;

/**
 * What every fuzz target shares: the declared outcomes, a scratch directory, and limits that keep
 * one iteration short.
 *
 * <p>Declared outcomes: a target may end normally or with an {@link IsulaException} (bad input,
 * reported in one line) or an {@link IOException} (truncated or unreadable data). Anything else
 * that escapes (a {@link RuntimeException}, an {@link Error}) is a finding: Jazzer reports it with
 * the input that caused it.
 */
final class FuzzSupport {
  /** Scratch space of this JVM, removed on exit. */
  static final Path SCRATCH;

  /** An absolute path fuzzed names may aim at; it must never come into existence. */
  static final Path CANARY = Path.of("/tmp/isula-fuzz-canary");

  static {
    // one iteration must stay small: a bomb of a few KiB is refused at 16 MiB, not 64 GiB
    System.setProperty(ExpansionLimit.MAX_BYTES_PROPERTY, "16m");
    try {
      SCRATCH = Files.createTempDirectory("isula-fuzz-");
      Files.createDirectories(SCRATCH.resolve("tmp"));
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    Runtime.getRuntime()
        .addShutdownHook(
            new Thread(
                () -> {
                  try {
                    Trees.deleteRecursively(SCRATCH);
                  } catch (IOException ignored) {
                    // best effort
                  }
                }));
  }

  private FuzzSupport() {}

  /** Code under test. */
  @FunctionalInterface
  interface Target {
    void run() throws IOException, IsulaException;
  }

  /** Runs {@code target}; declared failures are a normal outcome, anything else escapes. */
  static void declared(Target target) {
    try {
      target.run();
    } catch (IsulaException | IOException expected) {
      if (expected.getMessage() == null || expected.getMessage().isBlank()) {
        throw new AssertionError("a declared failure without a message", expected);
      }
    }
  }

  /** A fresh empty directory under the scratch space. */
  static Path freshDirectory(String name) throws IOException {
    Path d = SCRATCH.resolve(name);
    Trees.deleteRecursively(d);
    return Files.createDirectories(d);
  }

  /** Writes {@code data} to a scratch file (replacing it). */
  static Path file(String name, byte[] data) {
    try {
      return Files.write(SCRATCH.resolve(name), data);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /** Fails if anything appeared under {@code dir} besides {@code allowed}, or at the canary. */
  static void nothingBeside(Path dir, List<String> allowed) throws IOException {
    if (Files.exists(CANARY, LinkOption.NOFOLLOW_LINKS)) {
      Trees.deleteRecursively(CANARY);
      throw new AssertionError("something was written at " + CANARY);
    }
    try (Stream<Path> s = Files.list(dir)) {
      List<String> names = s.map(p -> p.getFileName().toString()).sorted().toList();
      if (!names.equals(allowed)) {
        throw new AssertionError("written outside the target: " + names + " in " + dir);
      }
    }
  }

  /** Splits {@code data} into at most {@code max} parts at {@code marker}. */
  static List<byte[]> split(byte[] data, byte[] marker, int max) {
    java.util.ArrayList<byte[]> parts = new java.util.ArrayList<>();
    int start = 0;
    for (int i = 0; i + marker.length <= data.length && parts.size() < max - 1; i++) {
      if (java.util.Arrays.equals(data, i, i + marker.length, marker, 0, marker.length)) {
        parts.add(java.util.Arrays.copyOfRange(data, start, i));
        start = i + marker.length;
        i = start - 1;
      }
    }
    parts.add(java.util.Arrays.copyOfRange(data, start, data.length));
    return parts;
  }
}
