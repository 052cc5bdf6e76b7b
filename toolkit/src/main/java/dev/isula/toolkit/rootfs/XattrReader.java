package dev.isula.toolkit.rootfs;

import java.io.BufferedReader;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.attribute.UserDefinedFileAttributeView;
import java.util.HashMap;
import java.util.HexFormat;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

/**
 * Reads the extended attributes of a whole tree at once. With the attr package's {@code getfattr}
 * (one process for the tree) every namespace is read; without it only {@code user.} attributes,
 * which the JDK can read itself.
 */
final class XattrReader {
  private XattrReader() {}

  /** Absolute path string to its attributes; paths without attributes are absent. */
  static Map<String, Map<String, byte[]>> readTree(Path root) throws IOException {
    Map<String, Map<String, byte[]>> viaTool = withGetfattr(root);
    return viaTool != null ? viaTool : userOnly(root);
  }

  private static Map<String, Map<String, byte[]>> withGetfattr(Path root) throws IOException {
    Process p;
    try {
      p =
          new ProcessBuilder(
                  "getfattr",
                  "--absolute-names",
                  "-R",
                  "-P",
                  "-d",
                  "-m",
                  "-",
                  "-e",
                  "hex",
                  "--",
                  root.toString())
              .redirectError(ProcessBuilder.Redirect.DISCARD)
              .start();
    } catch (IOException e) {
      return null; // attr package not installed
    }
    Map<String, Map<String, byte[]>> out = new HashMap<>();
    try (BufferedReader r =
        new BufferedReader(new InputStreamReader(p.getInputStream(), StandardCharsets.UTF_8))) {
      String line;
      Map<String, byte[]> current = null;
      while ((line = r.readLine()) != null) {
        if (line.startsWith("# file: ")) {
          String path = unescape(line.substring(8));
          current = new TreeMap<>();
          out.put(path, current);
        } else if (current != null && !line.isEmpty() && line.indexOf('=') > 0) {
          int eq = line.indexOf('=');
          String name = unescape(line.substring(0, eq));
          String value = line.substring(eq + 1);
          if (value.startsWith("0x")) {
            current.put(name, HexFormat.of().parseHex(value.substring(2)));
          } else if (value.startsWith("\"") && value.endsWith("\"")) {
            current.put(
                name,
                unescape(value.substring(1, value.length() - 1)).getBytes(StandardCharsets.UTF_8));
          }
        } else if (current != null && !line.isEmpty() && !line.startsWith("#")) {
          current.put(unescape(line), new byte[0]);
        }
      }
    }
    try {
      p.waitFor(10, TimeUnit.MINUTES);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new java.io.InterruptedIOException();
    }
    out.values().removeIf(Map::isEmpty);
    return out;
  }

  /** Undoes getfattr's octal escapes (\012, \\) in names. */
  static String unescape(String s) {
    if (s.indexOf('\\') < 0) {
      return s;
    }
    ByteArrayOutputStream b = new ByteArrayOutputStream();
    byte[] raw = s.getBytes(StandardCharsets.UTF_8);
    for (int i = 0; i < raw.length; i++) {
      if (raw[i] == '\\' && isOctal(raw, i + 1)) {
        b.write(Integer.parseInt(new String(raw, i + 1, 3, StandardCharsets.US_ASCII), 8));
        i += 3;
      } else if (raw[i] == '\\' && i + 1 < raw.length && raw[i + 1] == '\\') {
        b.write('\\');
        i++;
      } else {
        b.write(raw[i]);
      }
    }
    return b.toString(StandardCharsets.UTF_8);
  }

  private static boolean isOctal(byte[] raw, int i) {
    if (i + 2 >= raw.length) {
      return false;
    }
    for (int k = 0; k < 3; k++) {
      if (raw[i + k] < '0' || raw[i + k] > '7') {
        return false;
      }
    }
    return true;
  }

  private static Map<String, Map<String, byte[]>> userOnly(Path root) throws IOException {
    Map<String, Map<String, byte[]>> out = new HashMap<>();
    try (Stream<Path> s = Files.walk(root)) {
      for (Path p : (Iterable<Path>) s::iterator) {
        if (Files.isSymbolicLink(p)) {
          continue;
        }
        UserDefinedFileAttributeView v =
            Files.getFileAttributeView(
                p, UserDefinedFileAttributeView.class, LinkOption.NOFOLLOW_LINKS);
        try {
          for (String n : v.list()) {
            ByteBuffer buf = ByteBuffer.allocate(v.size(n));
            v.read(n, buf);
            out.computeIfAbsent(p.toString(), k -> new TreeMap<>()).put("user." + n, buf.array());
          }
        } catch (IOException | UnsupportedOperationException e) {
          // filesystem without xattr support
        }
      }
    }
    return out;
  }
}
