package dev.isula.golden.fuzz;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import dev.isula.toolkit.tar.EntryNames;
import dev.isula.toolkit.tar.RawNames;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Our tar reader against two other implementations on every committed fuzz seed of the tar targets
 * (which include an archive of each real writer: GNU tar in every format and sparse version,
 * bsdtar, busybox, Python's tarfile; see make-tar-seeds.sh) and every crash input found since:
 *
 * <ul>
 *   <li>commons-compress, through {@link TarDifferential} (its documented differences apply);
 *   <li>GNU tar: {@code tar -tvf} must succeed exactly when we do, with the same names, types and
 *       sizes, and the files GNU tar extracts must have the contents we read.
 * </ul>
 *
 * Differences from GNU tar that are ours by design, and so excused: archives holding a PAX global
 * header (GNU tar applies it, we ignore it as Go and docker do) are compared on their entry count
 * only; names with a newline or bytes that are not UTF-8 are not compared (the listing cannot show
 * them unambiguously); GNU tar's listing of a file whose name ends in "/" (a v7 directory) is
 * compared by type only.
 */
class TarReaderPeersTest {
  @TempDir Path tmp;

  static Stream<Path> seeds() throws IOException {
    Path base = Path.of("src/test/resources/dev/isula/golden/fuzz");
    List<Path> all = new ArrayList<>();
    for (String dir :
        List.of(
            "TarReaderFuzzTestInputs/readAllEntries",
            "TarDifferentialFuzzTestInputs/compareWithCommonsCompress")) {
      try (Stream<Path> s = Files.list(base.resolve(dir))) {
        s.filter(Files::isRegularFile).sorted().forEach(all::add);
      }
    }
    return all.stream();
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("seeds")
  void commonsCompressAgrees(Path seed) throws Exception {
    assertNull(TarDifferential.difference(Files.readAllBytes(seed)));
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("seeds")
  void gnuTarAgrees(Path seed) throws Exception {
    if (!Files.isExecutable(Path.of("/usr/bin/tar"))) {
      if ("true".equalsIgnoreCase(System.getenv("CI"))) {
        fail("GNU tar is not installed");
      }
      Assumptions.abort("GNU tar is not installed");
    }
    byte[] data = Files.readAllBytes(seed);
    TarDifferential.Outcome ours = TarDifferential.ours(data);
    String[] listing =
        run(
            "tar",
            "--numeric-owner",
            "--quoting-style=literal",
            "-tvf",
            seed.toAbsolutePath().toString());
    boolean gnuOk = listing[0].equals("0");
    if (gnuOk && ours.refused() && ours.refusal().contains("truncated inside a header")) {
      // a short last block that is not all zeros: GNU tar ends the archive there; Go's
      // archive/tar and bsdtar refuse it as truncated, as we do. The second peer must agree.
      String[] bsd = run("bsdtar", "-tvf", seed.toAbsolutePath().toString());
      assertNotEquals("0", bsd[0], "bsdtar read what we refuse: " + ours + "\n" + bsd[1]);
      assertTrue(bsd[2].contains("Truncated"), bsd[2]);
      return;
    }
    assertEquals(
        !ours.refused(), gnuOk, "we " + ours + "\nGNU tar: " + listing[2] + "\n" + listing[1]);
    if (!gnuOk) {
      return;
    }
    List<String> lines = listing[1].lines().toList();
    if (hasGlobalHeader(data)) {
      assertEquals(ours.items().size(), lines.size(), listing[1]);
      return;
    }
    assertEquals(ours.items().size(), lines.size(), listing[1]);
    Map<String, byte[]> files = new HashMap<>();
    Map<String, Integer> count = new HashMap<>();
    for (int i = 0; i < lines.size(); i++) {
      TarDifferential.Item item = ours.items().get(i);
      String[] f = lines.get(i).split(" +", 6);
      char gnuType = f[0].charAt(0);
      char expected =
          switch (item.type()) {
            case 'f' -> '-';
            default -> item.type();
          };
      if (gnuType != expected && !(gnuType == 'd' && item.name().endsWith("/"))) {
        fail("entry " + i + ": type " + gnuType + " vs ours " + item + "\n" + listing[1]);
      }
      if (item.type() == 'f') {
        assertEquals(Long.toString(item.size()), f[2], "size of entry " + i + "\n" + listing[1]);
      }
      boolean comparable = item.name().indexOf('\n') < 0 && !RawNames.hasRawBytes(item.name());
      if (comparable) {
        String rest = f[5];
        String name = rest;
        if (item.type() == 'l') {
          name = rest.substring(0, rest.indexOf(" -> "));
        } else if (item.type() == 'h') {
          name = rest.substring(0, rest.indexOf(" link to "));
        }
        assertEquals(item.name(), name, "name of entry " + i + "\n" + listing[1]);
      }
      try {
        String n = EntryNames.normalize(item.name());
        count.merge(n, 1, Integer::sum);
        if (item.type() == 'f' && !n.isEmpty()) {
          files.put(n, item.content());
        }
      } catch (dev.isula.toolkit.api.UnsafeEntryException unsafe) {
        // GNU tar will not extract it either
      }
    }
    Path out = Files.createDirectories(tmp.resolve("x"));
    run(
        "tar",
        "-xf",
        seed.toAbsolutePath().toString(),
        "-C",
        out.toString(),
        "--no-same-owner",
        "--no-same-permissions",
        "--delay-directory-restore");
    for (Map.Entry<String, byte[]> e : files.entrySet()) {
      Path p = out.resolve(e.getKey());
      if (count.get(e.getKey()) == 1 && Files.isRegularFile(p, LinkOption.NOFOLLOW_LINKS)) {
        assertArrayEquals(e.getValue(), Files.readAllBytes(p), "content of " + e.getKey());
      }
    }
  }

  private static boolean hasGlobalHeader(byte[] data) {
    for (int off = 0; off + 512 <= data.length; off += 512) {
      if (data[off + 156] == 'g') {
        return true;
      }
    }
    return false;
  }

  /** Exit code, stdout and stderr of a command. */
  private String[] run(String... cmd) throws Exception {
    Path o = tmp.resolve("out.txt");
    Path e = tmp.resolve("err.txt");
    ProcessBuilder pb =
        new ProcessBuilder(cmd).redirectOutput(o.toFile()).redirectError(e.toFile());
    pb.environment().put("LC_ALL", "C.UTF-8");
    Process p = pb.start();
    if (!p.waitFor(2, TimeUnit.MINUTES)) {
      p.destroyForcibly();
      fail(String.join(" ", cmd) + " timed out");
    }
    return new String[] {
      Integer.toString(p.exitValue()),
      Files.readString(o, StandardCharsets.UTF_8),
      Files.readString(e, StandardCharsets.UTF_8)
    };
  }
}
