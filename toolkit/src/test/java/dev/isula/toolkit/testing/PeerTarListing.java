package dev.isula.toolkit.testing;

import java.io.File;
import java.io.IOException;
import java.io.InterruptedIOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;

/**
 * Every tarball a test writes must be one that other tar implementations read: this lists it with
 * GNU {@code tar -tvf} and {@code bsdtar -tvf} and fails (AssertionError) on a non-zero exit or on
 * anything either prints to stderr, except a note about a PAX {@code hdrcharset} record (GNU tar
 * 1.34: "Ignoring unknown extended header keyword 'hdrcharset'"), which we write, as POSIX says,
 * for names that are not UTF-8. Plain, gzip, zstd and xz archives are recognised by both tools.
 *
 * <p>Each distinct content is listed once per JVM (keyed by its SHA-256), so helpers can call this
 * for every tar they see. Without the tools the check is skipped, unless {@code CI=true}, where a
 * missing tool is a failure, as for the peer tests.
 */
public final class PeerTarListing {
  private static final Set<String> LISTED = ConcurrentHashMap.newKeySet();
  private static final List<String> TOOLS = List.of("tar", "bsdtar");
  private static volatile Boolean available;

  private PeerTarListing() {}

  /** Lists {@code tar} (a file) with both tools, unless content like it was listed already. */
  public static void check(Path tar) {
    check(tar, false);
  }

  /**
   * As {@link #check(Path)} for an image layer, which may be an input's layer copied unchanged: its
   * names are the input's, so GNU tar's note that it removes a leading {@code /} or {@code ../}
   * from a name or hardlink target (extraction safety, not a reading problem) is let through.
   */
  public static void checkLayer(Path tar) {
    check(tar, true);
  }

  /** As {@link #checkLayer(Path)}, for a layer held in memory. */
  public static void checkLayer(byte[] tar, String what) {
    check(tar, what, true);
  }

  private static void check(Path tar, boolean layer) {
    try {
      if (!toolsPresent() || !LISTED.add(sha256(tar))) {
        return;
      }
      for (String tool : TOOLS) {
        list(tool, tar, tar.toString(), layer);
      }
    } catch (IOException e) {
      throw new UncheckedIOException("listing " + tar + ": " + e.getMessage(), e);
    }
  }

  /** Lists an archive held in memory; {@code what} names it in a failure. */
  public static void check(byte[] tar, String what) {
    check(tar, what, false);
  }

  private static void check(byte[] tar, String what, boolean layer) {
    try {
      if (!toolsPresent() || !LISTED.add(sha256(tar))) {
        return;
      }
      Path tmp = Files.createTempFile("peer-listing-", ".tar");
      try {
        Files.write(tmp, tar);
        for (String tool : TOOLS) {
          list(tool, tmp, what, layer);
        }
      } finally {
        Files.deleteIfExists(tmp);
      }
    } catch (IOException e) {
      throw new UncheckedIOException("listing " + what + ": " + e.getMessage(), e);
    }
  }

  /** True if {@code head} (the first bytes of a file) starts a tar, plain or compressed. */
  public static boolean looksLikeTar(byte[] head, int n) {
    if (n >= 2 && (head[0] & 0xff) == 0x1f && (head[1] & 0xff) == 0x8b) {
      return true; // gzip
    }
    if (n >= 4
        && (head[0] & 0xff) == 0x28
        && (head[1] & 0xff) == 0xb5
        && (head[2] & 0xff) == 0x2f
        && (head[3] & 0xff) == 0xfd) {
      return true; // zstd
    }
    if (n >= 6 && (head[0] & 0xff) == 0xfd && head[1] == '7' && head[2] == 'z') {
      return true; // xz
    }
    if (n >= 262 && new String(head, 257, 5, StandardCharsets.ISO_8859_1).equals("ustar")) {
      return true;
    }
    if (n < 1024) {
      return false;
    }
    for (int i = 0; i < 1024; i++) {
      if (head[i] != 0) {
        return false;
      }
    }
    return true; // an empty archive: the end-of-archive blocks alone
  }

  private static void list(String tool, Path file, String what, boolean layer) throws IOException {
    Path out = Files.createTempFile("peer-listing-", ".out");
    Path err = Files.createTempFile("peer-listing-", ".err");
    try {
      ProcessBuilder pb = new ProcessBuilder(tool, "-tvf", file.toString());
      pb.redirectInput(ProcessBuilder.Redirect.from(new File("/dev/null")));
      pb.redirectOutput(out.toFile());
      pb.redirectError(err.toFile());
      pb.environment().put("LC_ALL", "C.UTF-8");
      Process p = pb.start();
      int code;
      try {
        if (!p.waitFor(5, TimeUnit.MINUTES)) {
          p.destroyForcibly();
          throw new AssertionError(tool + " -tvf " + what + ": still running after 5 minutes");
        }
        code = p.exitValue();
      } catch (InterruptedException e) {
        p.destroyForcibly();
        Thread.currentThread().interrupt();
        throw new InterruptedIOException("interrupted while listing " + what);
      }
      List<String> complaints = new ArrayList<>();
      for (String line : Files.readAllLines(err, StandardCharsets.ISO_8859_1)) {
        boolean nameNote =
            layer
                && line.matches(
                    "tar: Removing leading `[^']*' from (member names|hard link targets)");
        if (!line.contains("hdrcharset") && !nameNote && !line.isBlank()) {
          complaints.add(line);
        }
      }
      if (code != 0 || !complaints.isEmpty()) {
        throw new AssertionError(
            "a tarball written by a test is not read cleanly by "
                + tool
                + " -tvf: "
                + what
                + " (exit "
                + code
                + ")\n  "
                + String.join("\n  ", complaints));
      }
    } finally {
      Files.deleteIfExists(out);
      Files.deleteIfExists(err);
    }
  }

  private static boolean toolsPresent() {
    Boolean a = available;
    if (a == null) {
      List<String> missing = new ArrayList<>();
      for (String t : TOOLS) {
        if (!onPath(t)) {
          missing.add(t);
        }
      }
      if (!missing.isEmpty() && "true".equalsIgnoreCase(System.getenv("CI"))) {
        throw new AssertionError(
            "CI=true but " + missing + " missing: every written tarball must be listed by them");
      }
      a = missing.isEmpty();
      available = a;
    }
    return a;
  }

  private static boolean onPath(String tool) {
    String path = System.getenv("PATH");
    List<String> dirs = new ArrayList<>(List.of("/usr/bin", "/bin", "/usr/local/bin"));
    if (path != null) {
      dirs.addAll(0, List.of(path.split(File.pathSeparator)));
    }
    return dirs.stream().anyMatch(d -> !d.isEmpty() && Files.isExecutable(Path.of(d, tool)));
  }

  private static String sha256(Path file) throws IOException {
    MessageDigest md = sha256();
    byte[] buf = new byte[1 << 16];
    try (var in = Files.newInputStream(file)) {
      int n;
      while ((n = in.read(buf)) > 0) {
        md.update(buf, 0, n);
      }
    }
    return HexFormat.of().formatHex(md.digest());
  }

  private static String sha256(byte[] b) {
    return HexFormat.of().formatHex(sha256().digest(b));
  }

  private static MessageDigest sha256() {
    try {
      return MessageDigest.getInstance("SHA-256");
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException(e);
    }
  }
}
