package dev.isula.golden.peers;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.FileVisitResult;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.SimpleFileVisitor;
import java.nio.file.attribute.BasicFileAttributes;
import java.nio.file.attribute.UserDefinedFileAttributeView;
import java.util.HashSet;
import java.util.List;
import java.util.Locale;
import java.util.Set;

/**
 * A scratch directory for one fixture, on tmpfs ({@code /dev/shm}) when that is writable and keeps
 * {@code user.*} extended attributes (extraction on disk is 2-10x slower and noisier), else under
 * {@code java.io.tmpdir}. Deleted on close, without ever descending into a mount point that a tool
 * may have left behind.
 */
final class Scratch implements AutoCloseable {
  private static final Path SHM = Path.of("/dev/shm");

  final Path root;

  private Scratch(Path root) {
    this.root = root;
  }

  /**
   * @param prefix of the directory name (lower case)
   * @param needBytes tmpfs is used only with at least this much free space (containers often get a
   *     64 MiB /dev/shm)
   */
  static Scratch create(String prefix, long needBytes) throws IOException {
    Path dir = null;
    if (Files.isDirectory(SHM)
        && Files.isWritable(SHM)
        && Files.getFileStore(SHM).getUsableSpace() >= needBytes) {
      Path candidate = Files.createTempDirectory(SHM, prefix);
      if (keepsUserXattrs(candidate)) {
        dir = candidate;
      } else {
        deleteTree(candidate);
      }
    }
    if (dir == null) {
      dir = Files.createTempDirectory(prefix);
    }
    // buildah derives an image name from an oci: path, and image names must be lower case
    if (!dir.toString().equals(dir.toString().toLowerCase(Locale.ROOT))) {
      Path lower = Path.of("/tmp").resolve(dir.getFileName().toString().toLowerCase(Locale.ROOT));
      Files.createDirectory(lower);
      deleteTree(dir);
      dir = lower;
    }
    return new Scratch(dir.toRealPath());
  }

  Path resolve(String name) {
    return root.resolve(name);
  }

  private static boolean keepsUserXattrs(Path dir) {
    try {
      Path probe = dir.resolve(".xattr-probe");
      Files.createFile(probe);
      UserDefinedFileAttributeView v =
          Files.getFileAttributeView(probe, UserDefinedFileAttributeView.class);
      if (v == null) {
        return false;
      }
      v.write("isula.probe", ByteBuffer.wrap("1".getBytes(StandardCharsets.US_ASCII)));
      Files.delete(probe);
      return true;
    } catch (IOException | UnsupportedOperationException e) {
      return false;
    }
  }

  /**
   * Deletes the directory, unless {@code ISULA_PEERS_KEEP=1} is set in the environment (to inspect
   * a failure by hand; the path is printed to stderr).
   */
  @Override
  public void close() throws IOException {
    if ("1".equals(System.getenv("ISULA_PEERS_KEEP"))) {
      System.err.println("ISULA_PEERS_KEEP=1: leaving " + root);
      return;
    }
    deleteTree(root);
  }

  /** Deletes {@code dir} recursively, not following symlinks and not entering mount points. */
  static void deleteTree(Path dir) throws IOException {
    if (!Files.exists(dir, LinkOption.NOFOLLOW_LINKS)) {
      return;
    }
    Set<Path> mounts = mountPointsUnder(dir);
    Files.walkFileTree(
        dir,
        new SimpleFileVisitor<>() {
          @Override
          public FileVisitResult preVisitDirectory(Path d, BasicFileAttributes attrs) {
            return mounts.contains(d) ? FileVisitResult.SKIP_SUBTREE : FileVisitResult.CONTINUE;
          }

          @Override
          public FileVisitResult visitFile(Path f, BasicFileAttributes attrs) throws IOException {
            Files.deleteIfExists(f);
            return FileVisitResult.CONTINUE;
          }

          @Override
          public FileVisitResult visitFileFailed(Path f, IOException e) throws IOException {
            if (e instanceof NoSuchFileException) {
              return FileVisitResult.CONTINUE;
            }
            throw e;
          }

          @Override
          public FileVisitResult postVisitDirectory(Path d, IOException e) throws IOException {
            if (e != null) {
              throw e;
            }
            if (!mounts.contains(d) && !containsMount(d, mounts)) {
              Files.deleteIfExists(d);
            }
            return FileVisitResult.CONTINUE;
          }
        });
    if (!mounts.isEmpty()) {
      throw new IOException("left " + dir + " in place: mount points remain under it: " + mounts);
    }
  }

  private static boolean containsMount(Path d, Set<Path> mounts) {
    for (Path m : mounts) {
      if (m.startsWith(d)) {
        return true;
      }
    }
    return false;
  }

  private static Set<Path> mountPointsUnder(Path dir) throws IOException {
    Set<Path> result = new HashSet<>();
    Path info = Path.of("/proc/self/mountinfo");
    if (!Files.isReadable(info)) {
      return result;
    }
    Path real = dir.toRealPath();
    List<String> lines = Files.readAllLines(info, StandardCharsets.ISO_8859_1);
    for (String line : lines) {
      String[] f = line.split(" ");
      if (f.length < 5) {
        continue;
      }
      Path mp = Path.of(unescapeOctal(f[4]));
      if (mp.startsWith(real) && !mp.equals(real)) {
        result.add(dir.resolve(real.relativize(mp)));
      }
    }
    return result;
  }

  private static String unescapeOctal(String s) {
    StringBuilder sb = new StringBuilder();
    for (int i = 0; i < s.length(); i++) {
      char c = s.charAt(i);
      if (c == '\\' && i + 3 < s.length()) {
        try {
          sb.append((char) Integer.parseInt(s.substring(i + 1, i + 4), 8));
          i += 3;
          continue;
        } catch (NumberFormatException e) {
          // not an escape: keep the backslash
        }
      }
      sb.append(c);
    }
    return sb.toString();
  }
}
