package dev.isula.toolkit.flatten;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.isula.toolkit.api.InvalidImageException;
import dev.isula.toolkit.flatten.WhiteoutRules.Kind;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.ValueSource;

class WhiteoutRulesTest {
  @ParameterizedTest(name = "{0} is {1}")
  @CsvSource({
    "etc/passwd, NORMAL",
    "a.wh.b, NORMAL",
    "x.wh., NORMAL",
    "dir/wh.file, NORMAL",
    ".wh.passwd, WHITEOUT",
    "etc/.wh.passwd, WHITEOUT",
    "etc/.wh..hidden, WHITEOUT",
    ".wh..wh..opq, OPAQUE",
    "etc/.wh..wh..opq, OPAQUE",
    ".wh..wh.plnk, METADATA",
    ".wh..wh.plnk/123.456, METADATA",
    "a/.wh..wh.aufs, METADATA",
    "a/.wh..wh.orph/x/y, METADATA",
    ".wh..wh..opq.bak, METADATA"
  })
  void classifiesNames(String name, Kind kind) throws Exception {
    assertEquals(kind, WhiteoutRules.classify(name));
  }

  @ParameterizedTest
  @ValueSource(strings = {".wh.", "etc/.wh.", ".wh..", "etc/.wh..", ".wh...", "a/b/.wh..."})
  void bareOrDotWhiteoutsAreErrors(String name) {
    InvalidImageException e =
        assertThrows(InvalidImageException.class, () -> WhiteoutRules.classify(name));
    assertTrue(e.getMessage().contains(name), e.getMessage());
  }

  @ParameterizedTest
  @ValueSource(strings = {".wh.dir/file", "a/.wh.b/c", "a/.wh..opq/x"})
  void whiteoutUsedAsDirectoryIsAnError(String name) {
    InvalidImageException e =
        assertThrows(InvalidImageException.class, () -> WhiteoutRules.classify(name));
    assertTrue(e.getMessage().contains("directory"), e.getMessage());
  }

  @Test
  void whiteoutTargetIsTheNamedSibling() {
    assertEquals("passwd", WhiteoutRules.whiteoutTarget(".wh.passwd"));
    assertEquals("etc/passwd", WhiteoutRules.whiteoutTarget("etc/.wh.passwd"));
    assertEquals("a/b/.hidden", WhiteoutRules.whiteoutTarget("a/b/.wh..hidden"));
  }

  @Test
  void opaqueDirectoryIsTheMarkersParent() {
    assertEquals("", WhiteoutRules.opaqueDirectory(".wh..wh..opq"));
    assertEquals("usr/lib", WhiteoutRules.opaqueDirectory("usr/lib/.wh..wh..opq"));
  }
}
