package dev.isula.toolkit.rootfs;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.attribute.UserDefinedFileAttributeView;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/**
 * Extended attributes on files. The JDK handles only the {@code user.} namespace; the others
 * ({@code security.capability}, {@code trusted.*}) go through the {@code setfattr} tool from the
 * attr package, which is rare enough in a rootfs that a process per attribute is affordable.
 */
final class Xattrs {
  private Xattrs() {}

  /**
   * Sets the attributes on {@code path} (not following symlinks).
   *
   * @return names that could not be set
   */
  static List<String> set(Path path, Map<String, byte[]> xattrs, boolean symlink) {
    List<String> failed = new ArrayList<>();
    for (Map.Entry<String, byte[]> x : xattrs.entrySet()) {
      String name = x.getKey();
      try {
        if (name.startsWith("user.") && !symlink) {
          UserDefinedFileAttributeView v =
              Files.getFileAttributeView(path, UserDefinedFileAttributeView.class);
          v.write(name.substring(5), ByteBuffer.wrap(x.getValue()));
        } else if (!setWithTool(path, name, x.getValue())) {
          failed.add(name);
        }
      } catch (IOException | UnsupportedOperationException e) {
        failed.add(name);
      }
    }
    return failed;
  }

  private static boolean setWithTool(Path path, String name, byte[] value) throws IOException {
    ProcessBuilder pb =
        new ProcessBuilder(
                "setfattr",
                "-h",
                "-n",
                name,
                "-v",
                "0x" + HexFormat.of().formatHex(value),
                "--",
                path.toString())
            .redirectErrorStream(true);
    try {
      Process p = pb.start();
      p.getInputStream().readAllBytes();
      return p.waitFor(30, TimeUnit.SECONDS) && p.exitValue() == 0;
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      return false;
    } catch (IOException e) {
      return false; // setfattr not installed
    }
  }

  static boolean exists(Path p) {
    return Files.exists(p, LinkOption.NOFOLLOW_LINKS);
  }
}
