package dev.isula.toolkit.rootfs;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.isula.toolkit.api.UnsafeEntryException;
import dev.isula.toolkit.tar.EntryType;
import dev.isula.toolkit.tar.TarEntry;
import java.io.ByteArrayInputStream;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class DirectoryRootfsWriterTest {
  @TempDir Path tmp;

  private static TarEntry.Builder entry(String name, EntryType type) {
    return TarEntry.builder().name(name).type(type).mtimeSeconds(1_600_000_000L);
  }

  private static InputStream bytes(String s) {
    return new ByteArrayInputStream(s.getBytes(StandardCharsets.UTF_8));
  }

  /** Like umoci's rootless mode: owners and device nodes are skipped, with one warning. */
  @Test
  void withoutRootOwnersAndDevicesAreSkippedWithOneWarning() throws Exception {
    Path dir = Files.createDirectory(tmp.resolve("rootfs"));
    List<String> warnings = new ArrayList<>();
    DirectoryRootfsWriter w = DirectoryRootfsWriter.create(dir, false, warnings::add);
    w.write(entry("etc", EntryType.DIRECTORY).mode(0755).uid(1000).gid(1000).build(), null);
    w.write(entry("etc/a", EntryType.FILE).mode(04755).uid(1000).size(2).build(), bytes("hi"));
    w.write(entry("dev", EntryType.DIRECTORY).mode(0755).build(), null);
    w.write(entry("dev/null", EntryType.CHAR_DEVICE).mode(0666).device(1, 3).build(), null);
    w.write(entry("dev/fifo", EntryType.FIFO).mode(0600).build(), null);
    w.finish();

    long me = ProcessIdentity.effectiveUid();
    Path a = dir.resolve("etc/a");
    assertEquals("hi", Files.readString(a));
    assertEquals((int) me, (Integer) Files.getAttribute(a, "unix:uid"), "not chowned");
    assertEquals(04755, (Integer) Files.getAttribute(a, "unix:mode") & 07777);
    assertEquals(1_600_000_000_000L, Files.getLastModifiedTime(a).toMillis());
    assertFalse(Files.exists(dir.resolve("dev/null"), LinkOption.NOFOLLOW_LINKS));
    assertTrue(
        Files.exists(dir.resolve("dev/fifo"), LinkOption.NOFOLLOW_LINKS), "fifos need no root");
    assertEquals(1, warnings.size(), warnings.toString());
    assertTrue(warnings.get(0).contains("not running as root"), warnings.get(0));
    assertTrue(warnings.get(0).contains("1 device nodes skipped"), warnings.get(0));
    assertTrue(warnings.get(0).contains("owners not set"), warnings.get(0));
  }

  @Test
  void zeroBlocksBecomeHolesAndTheContentIsUnchanged() throws Exception {
    Path dir = Files.createDirectory(tmp.resolve("rootfs"));
    byte[] content = new byte[3 << 20]; // 3 MiB: zeros, 5000 bytes of data at 1 MiB + 100, zeros
    java.util.Arrays.fill(content, (1 << 20) + 100, (1 << 20) + 5100, (byte) 7);
    byte[] dense = new byte[9000];
    java.util.Arrays.fill(dense, (byte) 1);
    DirectoryRootfsWriter w = DirectoryRootfsWriter.create(dir, false, s -> {});
    w.write(
        entry("lastlog", EntryType.FILE).size(content.length).build(),
        new ByteArrayInputStream(content));
    w.write(
        entry("dense", EntryType.FILE).size(dense.length).build(), new ByteArrayInputStream(dense));
    w.write(entry("empty", EntryType.FILE).size(0).build(), new ByteArrayInputStream(new byte[0]));
    w.finish();

    Path f = dir.resolve("lastlog");
    assertTrue(java.util.Arrays.equals(content, Files.readAllBytes(f)));
    assertTrue(java.util.Arrays.equals(dense, Files.readAllBytes(dir.resolve("dense"))));
    assertEquals(0, Files.size(dir.resolve("empty")));
    Process stat =
        new ProcessBuilder("stat", "-c", "%b %B", f.toString()).redirectErrorStream(true).start();
    String[] out =
        new String(stat.getInputStream().readAllBytes(), StandardCharsets.UTF_8).trim().split(" ");
    assertEquals(0, stat.waitFor());
    long allocated = Long.parseLong(out[0]) * Long.parseLong(out[1]);
    assertTrue(allocated <= 64 * 1024, "3 MiB mostly zeros take " + allocated + " bytes on disk");
  }

  @Test
  void neverWritesThroughASymlinkItCreated() throws Exception {
    Path dir = Files.createDirectory(tmp.resolve("rootfs"));
    Path outside = Files.createDirectory(tmp.resolve("outside"));
    DirectoryRootfsWriter w = DirectoryRootfsWriter.create(dir, false, s -> {});
    w.write(entry("link", EntryType.SYMLINK).linkName(outside.toString()).build(), null);
    assertThrows(
        UnsafeEntryException.class,
        () -> w.write(entry("link/x", EntryType.FILE).size(1).build(), bytes("x")));
    try (var s = Files.list(outside)) {
      assertEquals(0, s.count());
    }
  }

  @Test
  void theTargetMustBeEmpty() throws Exception {
    Path dir = Files.createDirectory(tmp.resolve("rootfs"));
    Files.writeString(dir.resolve("existing"), "x");
    assertThrows(
        java.nio.file.DirectoryNotEmptyException.class,
        () -> DirectoryRootfsWriter.create(dir, s -> {}));
  }
}
