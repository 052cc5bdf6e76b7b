package dev.isula.toolkit.archive;

import dev.isula.toolkit.api.InvalidImageException;
import dev.isula.toolkit.api.IsulaException;
import dev.isula.toolkit.api.UnsafeEntryException;
import dev.isula.toolkit.blob.BlobSource;
import dev.isula.toolkit.blob.FileRange;
import dev.isula.toolkit.compress.Compression;
import dev.isula.toolkit.io.ExpansionLimit;
import dev.isula.toolkit.io.TempFiles;
import dev.isula.toolkit.tar.EntryNames;
import dev.isula.toolkit.tar.EntryType;
import dev.isula.toolkit.tar.TarEntry;
import dev.isula.toolkit.tar.TarReader;
import java.io.BufferedInputStream;
import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * A {@link FileTree} over a tar file, indexed once by reading headers only (content is skipped with
 * seeks), then read with positional I/O. A compressed archive is first decompressed to a temporary
 * file. Links inside the archive (docker-archive de-duplicates layers with symlinks) are followed,
 * but a link that leaves the archive is an error.
 */
final class TarTree implements FileTree {
  private static final int MAX_LINK_HOPS = 40;

  private record Member(EntryType type, long offset, long size, String link) {}

  private final Path path;
  private final Path data;
  private final boolean temporary;
  private final Map<String, Member> members = new HashMap<>();

  private TarTree(Path path, Path data, boolean temporary) {
    this.path = path;
    this.data = data;
    this.temporary = temporary;
  }

  static TarTree open(Path path) throws IOException, IsulaException {
    Compression c;
    try (InputStream in = new BufferedInputStream(Files.newInputStream(path), 16)) {
      c = Compression.detect(in);
    }
    TarTree tree;
    if (c == Compression.NONE) {
      tree = new TarTree(path, path, false);
    } else {
      Path tmp = TempFiles.create("archive", ".tar");
      try {
        decompress(path, c, tmp);
      } catch (IOException | IsulaException | RuntimeException e) {
        Files.deleteIfExists(tmp);
        throw e;
      }
      tree = new TarTree(path, tmp, true);
    }
    try {
      tree.index();
    } catch (IOException | IsulaException | RuntimeException e) {
      tree.close();
      throw e;
    }
    return tree;
  }

  /** Decompresses {@code path} into {@code tmp}, within the {@link ExpansionLimit}. */
  private static void decompress(Path path, Compression c, Path tmp)
      throws IOException, IsulaException {
    InputStream in;
    try {
      in = ExpansionLimit.decompress(Files.newInputStream(path), 1 << 16, path.toString());
    } catch (IOException e) {
      throw corrupt(path, c, e);
    }
    try (in;
        OutputStream out = Files.newOutputStream(tmp)) {
      byte[] buf = new byte[1 << 16];
      while (true) {
        int n;
        try {
          n = in.read(buf);
        } catch (ExpansionLimit.Exceeded e) {
          throw e.reason();
        } catch (IOException e) {
          throw corrupt(path, c, e);
        }
        if (n < 0) {
          return;
        }
        try {
          out.write(buf, 0, n);
        } catch (IOException e) {
          throw new java.nio.file.FileSystemException(
              tmp.toString(), null, "writing the decompressed archive: " + e.getMessage());
        }
      }
    }
  }

  private static InvalidImageException corrupt(Path path, Compression c, IOException e) {
    return new InvalidImageException(
        path
            + ": corrupt "
            + c.id()
            + " data: "
            + (e instanceof EOFException || e.getMessage() == null
                ? "truncated (unexpected end of data)"
                : e.getMessage()),
        e);
  }

  private void index() throws IOException, IsulaException {
    try (FileChannel ch = FileChannel.open(data, StandardOpenOption.READ)) {
      InputStream in = new FileRange.RangeInputStream(ch, 0, ch.size(), false);
      TarReader reader = new TarReader(new SkippingBuffer(in));
      TarEntry e;
      try {
        while ((e = reader.next()) != null) {
          String name = EntryNames.normalize(e.name());
          if (name.isEmpty()) {
            continue;
          }
          String link = e.linkName();
          if (e.type() == EntryType.HARDLINK) {
            link = EntryNames.normalizeLinkTarget(e.name(), link);
          }
          long size = e.type() == EntryType.FILE ? e.size() : 0;
          members.put(name, new Member(e.type(), reader.dataOffset(), size, link));
        }
      } catch (EOFException ex) {
        throw new InvalidImageException(path + ": truncated archive (" + ex.getMessage() + ")");
      } catch (UnsafeEntryException ex) {
        throw new UnsafeEntryException(path + ": " + ex.getMessage());
      } catch (InvalidImageException ex) {
        throw new InvalidImageException(path + ": " + ex.getMessage());
      }
    }
  }

  private Member resolve(String name) throws IsulaException {
    String current = EntryNames.normalize(name);
    for (int hops = 0; hops < MAX_LINK_HOPS; hops++) {
      Member m = members.get(current);
      if (m == null) {
        // a parent directory may be a symlink
        String resolved = resolveParents(current, hops);
        if (resolved.equals(current)) {
          throw new InvalidImageException(path + ": missing file " + current);
        }
        current = resolved;
        continue;
      }
      switch (m.type()) {
        case FILE -> {
          return m;
        }
        case HARDLINK -> current = m.link();
        case SYMLINK -> current = followSymlink(current, m.link());
        default ->
            throw new InvalidImageException(path + ": " + current + " is not a regular file");
      }
    }
    throw new InvalidImageException(path + ": too many levels of links at " + name);
  }

  private String resolveParents(String name, int hops) throws IsulaException {
    String[] parts = name.split("/");
    StringBuilder prefix = new StringBuilder();
    for (int i = 0; i < parts.length - 1; i++) {
      if (prefix.length() > 0) {
        prefix.append('/');
      }
      prefix.append(parts[i]);
      Member m = members.get(prefix.toString());
      if (m != null && m.type() == EntryType.SYMLINK) {
        String target = followSymlink(prefix.toString(), m.link());
        StringBuilder rest = new StringBuilder(target);
        for (int j = i + 1; j < parts.length; j++) {
          rest.append(rest.length() > 0 ? "/" : "").append(parts[j]);
        }
        return rest.toString();
      }
    }
    return name;
  }

  private String followSymlink(String from, String target) throws UnsafeEntryException {
    if (target.startsWith("/")) {
      throw new UnsafeEntryException(
          path + ": symlink " + from + " -> " + target + " points outside the archive");
    }
    List<String> stack = new ArrayList<>();
    String parent = EntryNames.parent(from);
    if (!parent.isEmpty()) {
      stack.addAll(List.of(parent.split("/")));
    }
    for (String part : target.split("/")) {
      if (part.isEmpty() || part.equals(".")) {
        continue;
      }
      if (part.equals("..")) {
        if (stack.isEmpty()) {
          throw new UnsafeEntryException(
              path + ": symlink " + from + " -> " + target + " points outside the archive");
        }
        stack.remove(stack.size() - 1);
      } else {
        stack.add(part);
      }
    }
    return String.join("/", stack);
  }

  @Override
  public String describe() {
    return path.toString();
  }

  @Override
  public boolean isFile(String name) throws IsulaException {
    try {
      resolve(name);
      return true;
    } catch (UnsafeEntryException e) {
      throw e;
    } catch (InvalidImageException e) {
      return false;
    }
  }

  @Override
  public BlobSource blob(String name) throws IsulaException {
    Member m = resolve(name);
    return BlobSource.of(new FileRange(data, m.offset(), m.size()));
  }

  @Override
  public long size(String name) throws IsulaException {
    return resolve(name).size();
  }

  @Override
  public List<String> fileNames() {
    List<String> names = new ArrayList<>();
    members.forEach(
        (k, v) -> {
          if (v.type() == EntryType.FILE || v.type() == EntryType.HARDLINK) {
            names.add(k);
          }
        });
    names.sort(null);
    return names;
  }

  @Override
  public void close() throws IOException {
    if (temporary) {
      Files.deleteIfExists(data);
    }
  }

  /** Buffers header reads but passes large skips straight to the seekable stream. */
  private static final class SkippingBuffer extends InputStream {
    private final InputStream in;

    SkippingBuffer(InputStream in) {
      this.in = in;
    }

    @Override
    public int read() throws IOException {
      return in.read();
    }

    @Override
    public int read(byte[] b, int off, int len) throws IOException {
      return in.read(b, off, len);
    }

    @Override
    public long skip(long n) throws IOException {
      long s = in.skip(n);
      if (s < n) {
        throw new EOFException("archive ends inside an entry");
      }
      return s;
    }
  }
}
