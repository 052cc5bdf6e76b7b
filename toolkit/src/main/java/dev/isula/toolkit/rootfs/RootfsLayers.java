package dev.isula.toolkit.rootfs;

import dev.isula.toolkit.api.InvalidImageException;
import dev.isula.toolkit.api.IsulaException;
import dev.isula.toolkit.api.UnsafeEntryException;
import dev.isula.toolkit.blob.TempBlob;
import dev.isula.toolkit.compress.Compression;
import dev.isula.toolkit.io.CountingInputStream;
import dev.isula.toolkit.io.ExpansionLimit;
import dev.isula.toolkit.io.NamedOutputStream;
import dev.isula.toolkit.io.TempFiles;
import dev.isula.toolkit.tar.EntryNames;
import dev.isula.toolkit.tar.EntrySink;
import dev.isula.toolkit.tar.EntryType;
import dev.isula.toolkit.tar.TarEntry;
import dev.isula.toolkit.tar.TarReader;
import dev.isula.toolkit.tar.TarWriter;
import java.io.EOFException;
import java.io.FilterOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashSet;
import java.util.Set;
import java.util.function.Consumer;
import java.util.function.LongConsumer;

/**
 * Builds the single layer of an imported root filesystem, reading the input exactly once: a tarball
 * (plain, gzip, zstd, xz or bzip2, sniffed by magic bytes; {@code -} is standard input) is checked
 * entry by entry while its bytes go into the layer (unchanged, except that PAX global headers are
 * left out, sparse files are written out as plain files and a missing end-of-archive marker is
 * added, with a warning: see {@link TarReader#copyTo}), a directory is walked in sorted order into
 * a fresh tar. The DiffID and blob digest are computed in the same pass.
 */
public final class RootfsLayers {
  private RootfsLayers() {}

  /**
   * Builds the layer from {@code source} ({@code -}, a tarball or a directory).
   *
   * @throws InvalidImageException if the tarball is malformed or holds unsafe names or links
   */
  public static TempBlob build(
      String source, Compression compression, int threads, Consumer<String> warn)
      throws IOException, IsulaException {
    return build(source, compression, threads, warn, n -> {});
  }

  /**
   * As {@link #build(String, Compression, int, Consumer)}, telling {@code progress} how many bytes
   * of a tarball (compressed, as stored) have been read.
   */
  public static TempBlob build(
      String source,
      Compression compression,
      int threads,
      Consumer<String> warn,
      LongConsumer progress)
      throws IOException, IsulaException {
    return build(source, compression, threads, warn, progress, null);
  }

  /** Most regular files at the top of a tarball that {@code rootFiles} is given. */
  public static final int MAX_ROOT_FILES = 256;

  /**
   * As {@link #build(String, Compression, int, Consumer, LongConsumer)}; for a tarball, also adds
   * to {@code rootFiles} (when not null) the names of the regular files at its top level (up to
   * {@link #MAX_ROOT_FILES}), so that the caller can tell whether the "rootfs" is in fact an image
   * archive, without a second read.
   */
  public static TempBlob build(
      String source,
      Compression compression,
      int threads,
      Consumer<String> warn,
      LongConsumer progress,
      Set<String> rootFiles)
      throws IOException, IsulaException {
    if (source.equals("-")) {
      return fromTar(
          new CountingInputStream(System.in, progress),
          "standard input",
          compression,
          threads,
          warn,
          rootFiles);
    }
    Path path = Path.of(source);
    if (Files.isDirectory(path)) {
      try (TempBlob.Writer w = TempBlob.writer(compression, threads)) {
        TarWriter tar = new TarWriter(new NonClosing(w.stream()));
        EntrySink checked =
            new EntrySink() {
              @Override
              public void write(TarEntry entry, InputStream content)
                  throws IOException, IsulaException {
                if (EntryNames.baseName(entry.name()).startsWith(".wh.")) {
                  throw new UnsafeEntryException(noWhiteouts(source + "/" + entry.name()));
                }
                tar.write(entry, content);
              }

              @Override
              public void finish() throws IOException {
                tar.finish();
              }
            };
        DirectoryRootfsReader.write(path, checked, warn);
        checked.finish();
        try {
          return w.finish();
        } catch (IOException e) {
          throw NamedOutputStream.named(e, scratch());
        }
      }
    }
    if (!Files.exists(path)) {
      throw new java.nio.file.NoSuchFileException(source);
    }
    try (InputStream in = new CountingInputStream(Files.newInputStream(path), progress)) {
      return fromTar(in, source, compression, threads, warn, rootFiles);
    }
  }

  private static TempBlob fromTar(
      InputStream raw,
      String what,
      Compression compression,
      int threads,
      Consumer<String> warn,
      Set<String> rootFiles)
      throws IOException, IsulaException {
    InputStream in;
    try {
      in = ExpansionLimit.decompress(raw, 1 << 20, what);
    } catch (IOException e) {
      throw new InvalidImageException(
          what
              + ": unreadable compressed data: "
              + (e instanceof EOFException || e.getMessage() == null
                  ? "truncated (unexpected end of data)"
                  : e.getMessage()),
          e);
    }
    try (TempBlob.Writer w = TempBlob.writer(compression, threads)) {
      // the layer is the tarball as read, but for what the reader cleans up: global headers
      // left out, sparse files written out plain, a missing end-of-archive marker added
      NamingCopy copy = new NamingCopy(w.stream());
      TarReader reader = new TarReader(in);
      reader.copyTo(copy);
      Set<String> seen = new HashSet<>();
      TarEntry e;
      long count = 0;
      try {
        while ((e = reader.next()) != null) {
          String name = EntryNames.normalize(e.name());
          if (EntryNames.baseName(name).startsWith(".wh.")) {
            throw new UnsafeEntryException(noWhiteouts(name));
          }
          if (e.type() == EntryType.HARDLINK) {
            String target = EntryNames.normalizeLinkTarget(e.name(), e.linkName());
            if (!seen.contains(target)) {
              throw new UnsafeEntryException(
                  "hardlink '"
                      + TarReader.printable(name)
                      + "' points to '"
                      + TarReader.printable(target)
                      + "', which is not an earlier entry");
            }
          }
          seen.add(name);
          count++;
          if (rootFiles != null
              && e.type() == EntryType.FILE
              && name.indexOf('/') < 0
              && rootFiles.size() < MAX_ROOT_FILES) {
            rootFiles.add(name);
          }
        }
        in.transferTo(copy); // trailing zero blocks and padding, unchanged
        if (reader.endMarkerMissing()) {
          warn.accept(
              "warning: "
                  + what
                  + ": the tar archive has no end-of-archive marker (it ends cleanly after its"
                  + " last entry); imported as it is");
        }
      } catch (ExpansionLimit.Exceeded ex) {
        throw ex.reason();
      } catch (EOFException ex) {
        throw new InvalidImageException(
            what
                + ": truncated ("
                + (ex.getMessage() == null ? "unexpected end of data" : ex.getMessage())
                + ")");
      } catch (InvalidImageException ex) {
        throw ex instanceof UnsafeEntryException
            ? new UnsafeEntryException(what + ": " + ex.getMessage())
            : new InvalidImageException(what + ": " + ex.getMessage(), ex);
      } catch (IOException ex) {
        if (ex instanceof java.nio.file.FileSystemException) {
          throw ex; // names its file: the scratch space is full, say
        }
        throw new InvalidImageException(
            what + ": unreadable: " + (ex.getMessage() == null ? ex.toString() : ex.getMessage()),
            ex);
      }
      if (count == 0 && reader.position() == 0) {
        throw new InvalidImageException(what + ": empty input, not a tar archive");
      }
      try {
        return w.finish();
      } catch (IOException ex) {
        throw NamedOutputStream.named(ex, scratch());
      }
    }
  }

  private static String noWhiteouts(String name) {
    return "entry '"
        + TarReader.printable(name)
        + "': whiteout names cannot be part of a root filesystem (a layer holding it would"
        + " delete files from the layers below)";
  }

  /** Where the layer being built is kept ($TMPDIR), for errors writing it. */
  private static Path scratch() {
    return TempFiles.directory().toAbsolutePath();
  }

  /** Writes to the layer; a failed write names the scratch directory (a full disk, say). */
  private static final class NamingCopy extends FilterOutputStream {
    NamingCopy(OutputStream out) {
      super(out);
    }

    @Override
    public void write(int b) throws IOException {
      write(new byte[] {(byte) b}, 0, 1);
    }

    @Override
    public void write(byte[] b, int off, int len) throws IOException {
      try {
        out.write(b, off, len);
      } catch (IOException e) {
        throw NamedOutputStream.named(e, scratch());
      }
    }
  }

  private static final class NonClosing extends FilterOutputStream {
    NonClosing(OutputStream out) {
      super(out);
    }

    @Override
    public void write(byte[] b, int off, int len) throws IOException {
      out.write(b, off, len);
    }

    @Override
    public void close() throws IOException {
      out.flush();
    }
  }
}
