package dev.isula.golden.roundtrip;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.isula.golden.roundtrip.WrittenImage.Target;
import dev.isula.toolkit.compress.Compression;
import dev.isula.toolkit.testing.TarBuilder;
import dev.isula.toolkit.testing.TestImage;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * File names through the directory forms of split and import. Linux names are bytes; the tar codec
 * keeps them byte for byte (bytes that are not UTF-8 travel as the lone surrogates U+DC80..U+DCFF,
 * see {@code RawNames}), and so does every tar form of split and import. A directory is different:
 * the JVM can only name files in its locale's charset, so a name that is not UTF-8 (or, in the
 * ASCII "C" locale, any name outside ASCII) cannot be written or read without changing it. Those
 * cases must fail with one clear line that says what to do, and leave nothing behind; the {@code
 * ./jbang} launcher switches a non-UTF-8 locale to C.UTF-8 so users normally never see it.
 */
class FileNamesTest {
  /** "café-日本.txt": valid UTF-8, not ASCII. */
  static final String UTF8 = "caf\u00e9-\u65e5\u672c.txt";

  /** The same name's bytes as printf octal escapes, to create it whatever our own locale. */
  static final String UTF8_PRINTF = "caf\\303\\251-\\346\\227\\245\\346\\234\\254.txt";

  /** "caf" + byte 0xE9 (Latin-1 é) + ".txt": not UTF-8, as the tar codec decodes it. */
  static final String RAW = "caf\udce9.txt";

  static final String RAW_PRINTF = "caf\\351.txt";

  static final Map<String, String> C_LOCALE = Map.of("LC_ALL", "C", "LANG", "C");

  static final Map<String, String> UTF8_LOCALE = Map.of("LC_ALL", "C.UTF-8");

  @TempDir Path tmp;

  private String image(String name) throws Exception {
    byte[] layer = TarBuilder.tar().dir("dir").file("dir/" + name, "content\n").build();
    return "docker-archive:"
        + TestImage.image()
            .layer(layer, Compression.GZIP)
            .writeDockerArchive(tmp.resolve("in.tar"), "isula-rt/names:1");
  }

  /** A directory holding dir/NAME, created with printf so that its bytes are exact. */
  private Path directoryWith(String printfName) throws Exception {
    Path dir = Files.createDirectories(tmp.resolve("rootfs/dir"));
    Peers.run(
        dir, Map.of(), "sh", "-c", "printf 'content\\n' > \"$(printf '" + printfName + "')\"");
    return dir.getParent();
  }

  /** The names in the single layer of the OCI image {@code base} under tmp. */
  private List<String> layerNames(String base) throws Exception {
    return Trees.names(Target.OCI.read(tmp, base).layers().get(0).tar());
  }

  private Isula.Run split(String format, Map<String, String> env) throws Exception {
    return Isula.subprocess(
        tmp, env, null, "export", "-q", "--split", "--rootfs-format", format, "in.tar", "out");
  }

  /** split --rootfs-format tar, import --rootfs, export: the names the image ends up with. */
  private List<String> tarSplitImportExport(Map<String, String> env) throws Exception {
    Isula.Run split = split("tar", env);
    assertEquals(0, split.exitCode(), split::toString);
    Isula.Run imp =
        Isula.subprocess(
            tmp,
            env,
            null,
            "import",
            "-q",
            "--rootfs",
            "out/rootfs.tar",
            "out/empty.tar",
            "-o",
            "oci:restored-layout:rt");
    assertEquals(0, imp.exitCode(), imp::toString);
    return layerNames("restored");
  }

  private void assertOneClearLine(Isula.Run run, String... needles) {
    assertEquals(1, run.exitCode(), run::toString);
    String err = run.err().strip();
    assertEquals(1, err.lines().count(), "one line: " + err);
    assertFalse(err.contains("Exception"), err);
    for (String n : needles) {
      assertTrue(err.contains(n), () -> "'" + n + "' expected in: " + err);
    }
  }

  @Test
  void aNameThatIsNotUtf8SurvivesTheTarSplit() throws Exception {
    image(RAW);
    List<String> names = tarSplitImportExport(UTF8_LOCALE);
    assertTrue(names.contains("dir/" + RAW), names::toString);
  }

  @Test
  void aNameThatIsNotUtf8CannotBeSplitIntoADirectory() throws Exception {
    image(RAW);
    Isula.Run run = split("dir", UTF8_LOCALE);
    assertOneClearLine(run, "dir/caf\\xe9.txt", "--rootfs-format tar");
    assertFalse(Files.exists(tmp.resolve("out")), "nothing is left behind");
  }

  @Test
  void utf8NamesSurviveTheTarSplitEvenUnderTheCLocale() throws Exception {
    image(UTF8);
    List<String> names = tarSplitImportExport(C_LOCALE);
    assertTrue(names.contains("dir/" + UTF8), names::toString);
  }

  @Test
  void underTheCLocaleADirectorySplitSaysToUseUtf8() throws Exception {
    image(UTF8);
    Isula.Run run = split("dir", C_LOCALE);
    assertOneClearLine(run, "LC_ALL=C.UTF-8");
    assertFalse(Files.exists(tmp.resolve("out")), "nothing is left behind");
  }

  @Test
  void importOfADirectoryRefusesANameThatIsNotUtf8() throws Exception {
    Path dir = directoryWith(RAW_PRINTF);
    Isula.Run run =
        Isula.subprocess(
            tmp,
            UTF8_LOCALE,
            null,
            "import",
            "-q",
            dir.toString(),
            "-o",
            Target.OCI.ref(tmp, "raw"));
    assertOneClearLine(run, "not valid", "tar -C DIR -c .");
    assertFalse(Files.exists(tmp.resolve("raw-layout")), "no target is created");
  }

  @Test
  void importOfADirectoryUnderTheCLocaleSaysToUseUtf8() throws Exception {
    Path dir = directoryWith(UTF8_PRINTF);
    Isula.Run run =
        Isula.subprocess(
            tmp, C_LOCALE, null, "import", "-q", dir.toString(), "-o", Target.OCI.ref(tmp, "c"));
    assertOneClearLine(run, "LC_ALL=C.UTF-8");
  }

  /** In a UTF-8 locale a UTF-8 name goes through a directory unchanged. */
  @Test
  void utf8NamesThroughADirectoryInAUtf8Locale() throws Exception {
    image(UTF8);
    Isula.Run split = split("dir", UTF8_LOCALE);
    assertEquals(0, split.exitCode(), split::toString);
    Isula.Run imp =
        Isula.subprocess(
            tmp,
            UTF8_LOCALE,
            null,
            "import",
            "-q",
            "--rootfs",
            "out/rootfs",
            "out/empty.tar",
            "-o",
            "oci:restored-layout:rt");
    assertEquals(0, imp.exitCode(), imp::toString);
    List<String> names = layerNames("restored");
    assertTrue(names.contains("dir/" + UTF8), names::toString);
  }
}
