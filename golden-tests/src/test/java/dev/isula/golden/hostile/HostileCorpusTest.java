package dev.isula.golden.hostile;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import dev.isula.golden.hostile.HostileCase.Built;
import dev.isula.golden.hostile.HostileCase.Command;
import dev.isula.golden.hostile.HostileCase.Expect;
import dev.isula.golden.hostile.HostileCase.Reader;
import dev.isula.toolkit.io.Trees;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.EnumMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentSkipListMap;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Runs every case of the {@link HostileCorpus} through the {@code isula} command line and then
 * checks the file system:
 *
 * <ul>
 *   <li>the expected outcome: exit 1 with one line on stderr naming the entry and an exception of
 *       the declared type, or exit 0 with the defined safe result;
 *   <li>nothing outside the output was written: the sentinel directory beside the target, the
 *       inputs (every file's sha256, mode and mtime), the temporary directory, and the canary path
 *       that absolute names, symlinks and climbs aim at ({@code /tmp/isula-hostile-canary-PID}); no
 *       new hardlink to the sentinel or to /etc/passwd;
 *   <li>no partial output: after a failure the output directory is empty, no {@code *.partial} file
 *       exists anywhere, the scratch directory ($TMPDIR) is empty;
 *   <li>the store of load cases is unchanged (checksum of every file) after a failure, and readable
 *       after a success.
 * </ul>
 *
 * Bombs run in a child JVM with {@code -Xmx128m} and a 120 s limit. A table of case → outcome is
 * printed at the end (and written to target/hostile-corpus.txt).
 */
class HostileCorpusTest {
  private static final Duration BOUND = Duration.ofSeconds(120);
  private static final Map<String, String> TABLE = new ConcurrentSkipListMap<>();

  /** All cases; {@code -Dhostile.only=REGEX} runs those whose id matches (when debugging). */
  static Stream<HostileCase> cases() {
    String only = System.getProperty("hostile.only");
    return HostileCorpus.all().stream()
        .filter(c -> only == null || only.isBlank() || c.id().matches(only));
  }

  @Test
  void corpusCoversEveryReaderAndSink() {
    List<HostileCase> all = HostileCorpus.all();
    assertTrue(all.size() >= 60, "at least 60 cases: " + all.size());
    Set<String> ids = new HashSet<>();
    for (HostileCase c : all) {
      assertTrue(ids.add(c.id()), "duplicate id " + c.id());
    }
    for (Reader r : Reader.values()) {
      assertTrue(all.stream().anyMatch(c -> c.reader() == r), "no case for " + r);
    }
    for (Command c : Command.values()) {
      assertTrue(all.stream().anyMatch(x -> x.command() == c), "no case for " + c);
    }
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("cases")
  void hostileInput(HostileCase c, @TempDir Path tmp) throws Exception {
    Workspace ws = new Workspace(tmp);
    assertCanaryAbsent("before");
    if (c.command() == Command.LOAD) {
      ws.prepareStore();
    }
    Built built = c.input().build(ws);
    TreeMap<String, String> before = Workspace.snapshot(ws.base, "out", "store", "scratch");
    TreeMap<String, String> storeBefore = storeSnapshot(ws);
    Object passwdLinks = Files.getAttribute(Path.of("/etc/passwd"), "unix:nlink");
    List<String> args = c.args(ws, built);

    HostileCli.Run run;
    if (c.bounded()) {
      run =
          assertTimeoutPreemptively(
              BOUND,
              () ->
                  HostileCli.subprocess(
                      List.of("-Xmx128m"), args, ws.scratch, built.env(), ws.runs.resolve("run")),
              () -> c.id() + ": not done within " + BOUND.toSeconds() + " s");
    } else {
      run = HostileCli.inProcess(args, ws.scratch);
    }
    TABLE.put(c.id(), row(c, run));

    // ---- nothing written outside the output, nothing left behind
    assertCanaryAbsent("after " + run);
    assertEquals(
        before,
        Workspace.snapshot(ws.base, "out", "store", "scratch"),
        () -> "inputs, sentinel and the rest of the workspace must not change\n" + run);
    assertEquals(List.of("base", "runs"), Workspace.list(ws.tmp), () -> "beside base/\n" + run);
    assertEquals(List.of(), Workspace.partials(ws.base), () -> "partial files\n" + run);
    if (c.bounded() || !HostileCli.tmpdirFromEnvironment()) {
      assertEquals(List.of(), Workspace.list(ws.scratch), () -> "scratch files left\n" + run);
    }
    assertEquals(
        passwdLinks,
        Files.getAttribute(Path.of("/etc/passwd"), "unix:nlink"),
        "no hardlink to /etc/passwd");

    if (c.expect() instanceof Expect.Fails f) {
      {
        assertEquals(1, run.exitCode(), run::toString);
        assertEquals("", run.out(), () -> "nothing on stdout\n" + run);
        List<String> lines = run.errLines();
        assertEquals(1, lines.size(), () -> "exactly one line on stderr\n" + run);
        String line = lines.get(0);
        String prefix = "isula " + args.get(0) + ": ";
        assertTrue(line.startsWith(prefix), () -> "starts with '" + prefix + "'\n" + run);
        assertFalse(line.contains("internal error"), run::toString);
        assertFalse(line.contains("Exception"), () -> "no exception class names\n" + run);
        assertNotNull(run.exception(), run::toString);
        Class<?> actual = Class.forName(run.exception());
        assertTrue(
            f.type().isAssignableFrom(actual),
            () -> "expected a " + f.type().getSimpleName() + "\n" + run);
        for (String fragment : f.fragments()) {
          String want = fragment.replace("{canary}", Workspace.canary());
          assertTrue(
              line.contains(want), () -> "the message should mention '" + want + "'\n" + run);
        }
        assertEquals(List.of(), Workspace.list(ws.out), () -> "no output after a failure\n" + run);
        assertEquals(storeBefore, storeSnapshot(ws), () -> "the store is unchanged\n" + run);
      }
    } else if (c.expect() instanceof Expect.Succeeds s) {
      {
        assertEquals(0, run.exitCode(), run::toString);
        assertNull(run.exception(), run::toString);
        assertFalse(run.err().contains("Exception"), run::toString);
        s.check().verify(ws, run);
        if (c.command() == Command.LOAD) {
          HostileCli.Run images =
              HostileCli.inProcess(List.of("images", "--root", ws.store.toString()), ws.scratch);
          assertEquals(0, images.exitCode(), () -> "the store stays readable\n" + images);
        }
        assertEquals(List.of(), Workspace.partials(ws.base), () -> "partial files\n" + run);
      }
    }
    Trees.deleteRecursively(ws.base); // large outputs (bombs) go at once
  }

  private static TreeMap<String, String> storeSnapshot(Workspace ws) throws IOException {
    TreeMap<String, String> s = Workspace.snapshot(ws.store);
    s.remove(".isula-gc.lock");
    s.remove(".isula-index.lock");
    return s;
  }

  private static void assertCanaryAbsent(String when) throws IOException {
    if (Files.exists(Workspace.CANARY, LinkOption.NOFOLLOW_LINKS)) {
      Trees.deleteRecursively(Workspace.CANARY);
      fail("the canary " + Workspace.CANARY + " exists " + when);
    }
  }

  private static String row(HostileCase c, HostileCli.Run run) {
    String outcome;
    if (run.exitCode() == 0) {
      outcome =
          "ok: " + (c.expect() instanceof Expect.Succeeds s ? s.result() : "(expected a failure!)");
    } else {
      String type = run.exception() == null ? "?" : simpleName(run.exception());
      String line = run.errLines().isEmpty() ? "" : run.errLines().get(0);
      int colon = line.indexOf(": ");
      outcome =
          "exit "
              + run.exitCode()
              + " "
              + type
              + ": "
              + (colon < 0 ? line : line.substring(colon + 2));
    }
    if (outcome.length() > 220) {
      outcome = outcome.substring(0, 217) + "...";
    }
    return String.format(
        "%-36s %-15s %-34s %s", c.id(), c.reader().label, c.command().label, outcome);
  }

  private static String simpleName(String className) {
    return className.substring(className.lastIndexOf('.') + 1);
  }

  @AfterAll
  static void printTable() throws IOException {
    if (TABLE.isEmpty()) {
      return;
    }
    List<String> lines = new ArrayList<>();
    lines.add(String.format("%-36s %-15s %-34s %s", "CASE", "READER", "COMMAND", "OUTCOME"));
    lines.addAll(TABLE.values());
    Map<Reader, Integer> byReader = new EnumMap<>(Reader.class);
    Map<Command, Integer> byCommand = new EnumMap<>(Command.class);
    for (HostileCase c : HostileCorpus.all()) {
      if (TABLE.containsKey(c.id())) {
        byReader.merge(c.reader(), 1, Integer::sum);
        byCommand.merge(c.command(), 1, Integer::sum);
      }
    }
    lines.add("");
    lines.add(TABLE.size() + " cases; by reader " + byReader + "; by command " + byCommand);
    String text = String.join("\n", lines) + "\n";
    System.out.println(text);
    Path target = Path.of("target");
    if (Files.isDirectory(target)) {
      Files.writeString(target.resolve("hostile-corpus.txt"), text);
    }
  }
}
