package dev.isula.golden.hostile;

import dev.isula.toolkit.hash.Digest;
import dev.isula.toolkit.hash.DigestingOutputStream;
import dev.isula.toolkit.tar.EntryType;
import dev.isula.toolkit.tar.TarEntry;
import dev.isula.toolkit.tar.TarWriter;
import java.io.BufferedOutputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.zip.Deflater;
import java.util.zip.GZIPOutputStream;

/**
 * Inputs that are small on disk and huge when read: a gzip bomb (a tar holding one file of
 * gigabytes of zeros, as concatenated gzip members, so it is built in milliseconds), and a tar of a
 * million empty files.
 */
final class Bombs {
  private static final int MEMBER = 16 << 20;
  private static byte[] zeroMember;
  private static Entries million;

  private Bombs() {}

  /** A DiffID the bomb claims; it is never reached, the bomb is refused first. */
  static final Digest FAKE_DIFF_ID = Digest.sha256(Img.utf8("a bomb never gets this far"));

  /**
   * gzip of a tar whose one entry, {@code name}, holds {@code bytes} zeros: a header member, then
   * 16 MiB members of zeros (about 16 KiB each, the most deflate can squeeze), ~1030:1 overall.
   */
  static byte[] gzipTarBomb(String name, long bytes) {
    try {
      ByteArrayOutputStream header = new ByteArrayOutputStream();
      TarWriter w = new TarWriter(header);
      w.putEntry(TarEntry.builder().name(name).mode(0644).size(bytes).build());
      ByteArrayOutputStream out = new ByteArrayOutputStream();
      out.write(gzip(header.toByteArray()));
      byte[] zeros = zeroMember();
      for (long done = 0; done < bytes + 1024; done += MEMBER) {
        out.write(zeros);
      }
      return out.toByteArray();
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  private static synchronized byte[] zeroMember() throws IOException {
    if (zeroMember == null) {
      zeroMember = gzip(new byte[MEMBER]);
    }
    return zeroMember;
  }

  static byte[] gzip(byte[] data) throws IOException {
    ByteArrayOutputStream bo = new ByteArrayOutputStream();
    try (GZIPOutputStream g = new GZIPOutputStream(bo)) {
      g.write(data);
    }
    return bo.toByteArray();
  }

  /** A gzip'd tar and its digests. */
  record Entries(Path file, Digest blobDigest, long blobSize, Digest diffId) {}

  /**
   * A gzip'd tar of {@code count} empty files in directories of 1000 (built once per JVM, about 7
   * MiB, half a GiB as a tar).
   */
  static synchronized Entries millionEmptyFiles() throws IOException {
    if (million == null) {
      Path f = Files.createTempFile("isula-hostile-million-", ".tar.gz");
      f.toFile().deleteOnExit();
      DigestingOutputStream blob =
          new DigestingOutputStream(new BufferedOutputStream(Files.newOutputStream(f), 1 << 20));
      DigestingOutputStream tar;
      try (OutputStream gz =
          new GZIPOutputStream(blob, 1 << 16) {
            {
              def.setLevel(Deflater.BEST_SPEED);
            }
          }) {
        tar = new DigestingOutputStream(new BufferedOutputStream(gz, 1 << 20));
        TarWriter w = new TarWriter(tar);
        for (int i = 0; i < 1_000_000; i++) {
          if (i % 1000 == 0) {
            w.write(
                TarEntry.builder()
                    .name(String.format("d%04d", i / 1000))
                    .type(EntryType.DIRECTORY)
                    .mode(0755)
                    .build(),
                new byte[0]);
          }
          w.write(
              TarEntry.builder().name(String.format("d%04d/f%07d", i / 1000, i)).mode(0644).build(),
              new byte[0]);
        }
        w.finish();
        tar.flush();
      }
      million = new Entries(f, blob.digest(), blob.count(), tar.digest());
    }
    return million;
  }
}
