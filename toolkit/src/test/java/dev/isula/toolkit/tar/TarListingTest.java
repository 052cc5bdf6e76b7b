package dev.isula.toolkit.tar;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import dev.isula.toolkit.testing.TarBuilder;
import java.io.ByteArrayInputStream;
import org.junit.jupiter.api.Test;

class TarListingTest {
  private static final String EMPTY_SHA =
      "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855";
  private static final String ABC_SHA =
      "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad";

  @Test
  void rendersOneLinePerEntry() throws Exception {
    byte[] tar =
        TarBuilder.tar()
            .dir("etc")
            .file("etc/abc", "abc")
            .file("empty", "")
            .symlink("s", "etc/abc")
            .hardlink("h", "etc/abc")
            .charDevice("null", 1, 3)
            .entry(
                TarEntry.builder()
                    .name("cap")
                    .mode(04755)
                    .uid(1000)
                    .gid(1001)
                    .mtime(5, 500_000_000)
                    .xattr("security.capability", new byte[] {1, 0, (byte) 0xff})
                    .build(),
                new byte[0])
            .entry(TarEntry.builder().name("bad\nname").build(), new byte[0])
            .build();

    String listing = TarListing.of(new ByteArrayInputStream(tar));

    assertEquals(
        String.join(
            "\n",
            "d 0755 0:0(root:root) 0 1600000000 - etc/",
            "f 0644 0:0(root:root) 3 1600000000 " + ABC_SHA + " etc/abc",
            "f 0644 0:0(root:root) 0 1600000000 " + EMPTY_SHA + " empty",
            "l 0777 0:0(root:root) 0 1600000000 - s -> etc/abc",
            "h 0644 0:0(root:root) 0 1600000000 - h link to etc/abc",
            "c 0666 0:0(root:root) 1,3 1600000000 - null",
            "f 4755 1000:1001 0 5.5 " + EMPTY_SHA + " cap xattr:security.capability=0100ff",
            "f 0644 0:0 0 0 " + EMPTY_SHA + " bad\\x0aname",
            ""),
        listing);
  }

  @Test
  void brokenArchiveIsAnError() {
    byte[] whole = TarBuilder.tar().file("a", "a").file("b", "b".repeat(600)).buildWithoutEnd();
    byte[] tar = java.util.Arrays.copyOf(whole, whole.length - 100); // inside b's data

    assertThrows(java.io.IOException.class, () -> TarListing.of(new ByteArrayInputStream(tar)));
  }

  @Test
  void lineOfASingleEntry() {
    TarEntry e = TarEntry.builder().name("x").size(3).build();

    assertEquals("f 0644 0:0 3 0 abc x", TarListing.line(e, "abc"));
  }
}
