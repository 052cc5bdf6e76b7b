package dev.isula.toolkit.tar;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.isula.toolkit.api.UnsafeEntryException;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.ValueSource;

class EntryNamesTest {
  @ParameterizedTest(name = "''{0}'' -> ''{1}''")
  @CsvSource(
      value = {
        "a|a",
        "./a|a",
        "a/|a",
        "a//b|a/b",
        "a/./b|a/b",
        "./a/./b//c/|a/b/c",
        ".//a|a",
        "././a/.|a",
        "./|''",
        ".|''",
        "...|...",
        "a/..b|a/..b",
        "..a/b|..a/b",
        "a/.b/c.|a/.b/c.",
        "etc/.wh..wh..opq|etc/.wh..wh..opq",
        "with space/x|with space/x"
      },
      delimiter = '|')
  void normalisesToCanonicalForm(String raw, String canonical) throws Exception {
    assertEquals(canonical, EntryNames.normalize(raw));
  }

  @Test
  void equivalentSpellingsCompareEqual() throws Exception {
    String expected = EntryNames.normalize("etc/passwd");
    for (String s : new String[] {"./etc/passwd", "etc//passwd", "etc/./passwd", "etc/passwd/"}) {
      assertEquals(expected, EntryNames.normalize(s), s);
    }
  }

  @ParameterizedTest
  @ValueSource(
      strings = {"", "/", "/abs", "//x", "..", "../x", "a/../b", "a/..", "./../x", "a/b/../../.."})
  void escapingOrEmptyNamesAreUnsafe(String raw) {
    assertThrows(UnsafeEntryException.class, () -> EntryNames.normalize(raw));
  }

  @Test
  void unsafeMessageShowsTheNamePrintably() {
    UnsafeEntryException e =
        assertThrows(UnsafeEntryException.class, () -> EntryNames.normalize("../\n"));
    assertTrue(e.getMessage().contains("'../\\x0a'"), e.getMessage());
  }

  @Test
  void parentAndBaseName() {
    assertEquals("", EntryNames.parent("a"));
    assertEquals("a", EntryNames.parent("a/b"));
    assertEquals("a/b", EntryNames.parent("a/b/c"));
    assertEquals("a", EntryNames.baseName("a"));
    assertEquals("c", EntryNames.baseName("a/b/c"));
  }

  @ParameterizedTest(name = "''{0}'' -> ''{1}''")
  @CsvSource(
      value = {"x|x", "./x|x", "/x|x", "///usr/bin/x|usr/bin/x", "a//b/./c|a/b/c"},
      delimiter = '|')
  void hardlinkTargetsAreRelativeToTheArchiveRoot(String target, String canonical)
      throws Exception {
    assertEquals(canonical, EntryNames.normalizeLinkTarget("some/link", target));
  }

  @ParameterizedTest
  @ValueSource(strings = {"", "/", "../x", "/../x", "a/../../x"})
  void hardlinkTargetsOutsideTheArchiveAreUnsafe(String target) {
    UnsafeEntryException e =
        assertThrows(
            UnsafeEntryException.class, () -> EntryNames.normalizeLinkTarget("lnk", target));
    assertTrue(e.getMessage().contains("'lnk'"), e.getMessage());
  }
}
