package dev.isula.golden.fuzz;

import dev.isula.golden.SampleImages;
import dev.isula.toolkit.compress.Compression;
import dev.isula.toolkit.tar.EntryType;
import dev.isula.toolkit.tar.TarEntry;
import dev.isula.toolkit.testing.TarBuilder;
import dev.isula.toolkit.testing.TestImage;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.apache.commons.compress.archivers.tar.TarArchiveEntry;
import org.apache.commons.compress.archivers.tar.TarArchiveOutputStream;

/**
 * Writes the committed seed corpus of the fuzz targets (small, deterministic inputs built with the
 * test builders), under src/test/resources/dev/isula/golden/fuzz/CLASSInputs/METHOD/. Run from
 * golden-tests/ to regenerate:
 *
 * <pre>
 *   mvn -q -o test-compile dependency:build-classpath -Dmdep.outputFile=target/test-classpath.txt
 *   java -cp "target/test-classes:$(cat target/test-classpath.txt)" dev.isula.golden.fuzz.FuzzSeeds
 * </pre>
 *
 * Findings of scripts/fuzz.sh are kept beside the seeds as {@code finding-*} files.
 */
public final class FuzzSeeds {
  private static final Path ROOT = Path.of("src/test/resources/dev/isula/golden/fuzz");

  private FuzzSeeds() {}

  public static void main(String[] args) throws IOException {
    tarReader();
    flatten();
    dockerArchive();
    ociArchive();
    rootfsImport();
  }

  private static void seed(String target, String name, byte[] bytes) throws IOException {
    Path p = ROOT.resolve(target).resolve(name);
    Files.createDirectories(p.getParent());
    Files.write(p, bytes);
    System.out.println(p + " (" + bytes.length + " bytes)");
  }

  static byte[] plainTar() {
    return TarBuilder.tar()
        .dir("etc")
        .file("etc/hostname", "seed\n")
        .symlink("etc/link", "hostname")
        .hardlink("etc/hard", "etc/hostname")
        .fifo("run-fifo")
        .charDevice("null", 1, 3)
        .build();
  }

  static byte[] paxTar() {
    String longName = "d/" + "x".repeat(120) + "/caf\u00e9-\u65e5\u672c.txt";
    return TarBuilder.tar()
        .dir("d")
        .entry(
            TarBuilder.base(longName)
                .mode(04755)
                .uid(3_000_000)
                .gid(5)
                .mtime(1_600_000_000L, 123_456_789)
                .xattr("security.capability", new byte[] {1, 0, 0, 2, 0, 0x20, 0, 0})
                .xattr("user.note", "v".getBytes(StandardCharsets.UTF_8))
                .size(3)
                .build(),
            "abc".getBytes(StandardCharsets.UTF_8))
        .symlink("d/long-link", "t/".repeat(80))
        .build();
  }

  static byte[] gnuTar() throws IOException {
    ByteArrayOutputStream bo = new ByteArrayOutputStream();
    try (TarArchiveOutputStream t = new TarArchiveOutputStream(bo)) {
      t.setLongFileMode(TarArchiveOutputStream.LONGFILE_GNU);
      t.setBigNumberMode(TarArchiveOutputStream.BIGNUMBER_STAR);
      TarArchiveEntry e = new TarArchiveEntry("gnu/" + "n".repeat(150));
      e.setSize(2);
      e.setUserId(9_000_000);
      t.putArchiveEntry(e);
      t.write(new byte[] {'h', 'i'});
      t.closeArchiveEntry();
      TarArchiveEntry l = new TarArchiveEntry("gnu/link", TarArchiveEntry.LF_SYMLINK);
      l.setLinkName("target/" + "m".repeat(120));
      t.putArchiveEntry(l);
      t.closeArchiveEntry();
    }
    return bo.toByteArray();
  }

  private static void tarReader() throws IOException {
    String t = "TarReaderFuzzTestInputs/readAllEntries";
    seed(t, "plain.tar", plainTar());
    seed(t, "pax.tar", paxTar());
    seed(t, "gnu.tar", gnuTar());
    seed(t, "no-end.tar", TarBuilder.tar().file("a", "a\n").buildWithoutEnd());
    seed(t, "whiteouts-layer0.tar", SampleImages.byName("whiteouts").image().tars().get(0));
  }

  private static byte[] joined(List<byte[]> tars) throws IOException {
    ByteArrayOutputStream bo = new ByteArrayOutputStream();
    for (int i = 0; i < tars.size(); i++) {
      if (i > 0) {
        bo.write(FlattenFuzzTest.LAYER_BREAK);
      }
      bo.write(tars.get(i));
    }
    return bo.toByteArray();
  }

  private static void flatten() throws IOException {
    String t = "FlattenFuzzTestInputs/flatten";
    seed(t, "whiteouts.bin", joined(SampleImages.byName("whiteouts").image().tars()));
    seed(t, "hardlinks.bin", joined(SampleImages.byName("hardlinks").image().tars()));
    seed(
        t,
        "symlink-then-write.bin",
        joined(
            List.of(
                TarBuilder.tar().dir("etc").symlink("a", "/tmp/isula-fuzz-canary").build(),
                TarBuilder.tar().file("a/x", "x\n").build())));
    seed(
        t,
        "links.bin",
        joined(
            List.of(
                TarBuilder.tar()
                    .file("f", "f\n")
                    .hardlink("h", "f")
                    .symlink("s", "../../x")
                    .hardlink("hs", "s")
                    .build(),
                TarBuilder.tar()
                    .whiteout("f")
                    .opaque("")
                    .file("g", "g\n")
                    .hardlink("h2", "h")
                    .build(),
                TarBuilder.tar().dir("f").file("f/x", "x\n").build())));
  }

  private static byte[] file(Path dir, String name, IoWriter w) throws IOException {
    Path p = dir.resolve(name);
    w.write(p);
    return Files.readAllBytes(p);
  }

  @FunctionalInterface
  private interface IoWriter {
    void write(Path p) throws IOException;
  }

  private static TestImage small() {
    return TestImage.image()
        .layer(TarBuilder.tar().dir("etc").file("etc/hostname", "seed\n").build(), Compression.NONE)
        .layer(TarBuilder.tar().whiteout("etc/hostname").file("etc/motd", "hi\n").build());
  }

  private static void dockerArchive() throws IOException {
    String t = "DockerArchiveFuzzTestInputs/openDockerArchive";
    Path tmp = Files.createTempDirectory("seeds");
    seed(t, "classic.tar", file(tmp, "a.tar", p -> small().writeDockerArchive(p, "seed:1")));
    seed(t, "docker25.tar", file(tmp, "b.tar", p -> small().writeDocker25Archive(p, "seed:1")));
    seed(t, "classic.tar.gz", gzip(file(tmp, "c.tar", p -> small().writeDockerArchive(p))));
  }

  private static void ociArchive() throws IOException {
    String t = "OciArchiveFuzzTestInputs/openOciArchive";
    Path tmp = Files.createTempDirectory("seeds");
    seed(t, "one.tar", file(tmp, "a.tar", p -> small().writeOciArchive(p, "v1")));
    Map<String, byte[]> multi = SampleImages.byName("multi-platform").ociLayoutFiles();
    ByteArrayOutputStream bo = new ByteArrayOutputStream();
    TestImage.writeTar(bo, multi);
    seed(t, "multi-platform.tar", bo.toByteArray());
  }

  private static void rootfsImport() throws IOException {
    String t = "RootfsImportFuzzTestInputs/importRootfs";
    seed(t, "plain.tar", plainTar());
    seed(t, "pax.tar", paxTar());
    seed(t, "plain.tar.gz", gzip(plainTar()));
    seed(
        t,
        "hardlink-forward.tar",
        TarBuilder.tar()
            .entry(
                TarEntry.builder().name("h").type(EntryType.HARDLINK).linkName("f").build(),
                new byte[0])
            .file("f", "f\n")
            .build());
  }

  static byte[] gzip(byte[] data) throws IOException {
    ByteArrayOutputStream bo = new ByteArrayOutputStream();
    try (OutputStream o = Compression.GZIP.compress(bo, 9, 1)) {
      o.write(data);
    }
    return bo.toByteArray();
  }
}
