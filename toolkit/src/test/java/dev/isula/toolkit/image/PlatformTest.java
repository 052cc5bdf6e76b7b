package dev.isula.toolkit.image;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.isula.toolkit.api.UsageException;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.ValueSource;

class PlatformTest {
  private static Platform p(String text) throws UsageException {
    return Platform.parse(text);
  }

  @Test
  void parsesOsArchAndVariant() throws Exception {
    Platform p = p("linux/arm/v6");

    assertEquals("linux", p.os());
    assertEquals("arm", p.architecture());
    assertEquals("v6", p.variant());
    assertEquals("linux/arm/v6", p.toString());
    assertEquals("linux/amd64", p("linux/amd64").toString());
  }

  @ParameterizedTest
  @ValueSource(strings = {"", "linux", "linux/", "/amd64", "linux/amd64/v1/x", "/", "//"})
  void rejectsMalformedText(String text) {
    UsageException e = assertThrows(UsageException.class, () -> Platform.parse(text));
    assertTrue(e.getMessage().contains("os/arch"), e.getMessage());
  }

  @ParameterizedTest(name = "{0} == {1}")
  @CsvSource({
    "linux/x86_64, linux/amd64",
    "linux/x86-64, linux/amd64",
    "Linux/AMD64, linux/amd64",
    "linux/aarch64, linux/arm64",
    "linux/ARM64, linux/arm64",
    "linux/i686, linux/386",
    "linux/armhf, linux/arm/v7",
    "linux/armv7l, linux/arm/v7",
    "linux/armel, linux/arm/v6",
    "linux/armv6l, linux/arm/v6",
    "linux/arm64/V8, linux/arm64/v8"
  })
  void aliasesNormaliseToTheSamePlatform(String alias, String canonical) throws Exception {
    assertEquals(p(canonical), p(alias));
    assertEquals(p(canonical).hashCode(), p(alias).hashCode());
  }

  @ParameterizedTest(name = "want {0}, have {1}: {2}")
  @CsvSource({
    "linux/amd64, linux/amd64, true",
    "linux/x86_64, linux/amd64, true",
    "linux/amd64, linux/x86_64, true",
    "linux/aarch64, linux/arm64/v8, true",
    "linux/arm64, linux/arm64/v8, true",
    "linux/arm64/v8, linux/arm64, true",
    "linux/arm64/v8, linux/aarch64, true",
    "linux/arm64, linux/arm64/v9, false",
    "linux/arm, linux/arm/v7, true",
    "linux/arm/v7, linux/arm, true",
    "linux/arm, linux/arm/v6, false",
    "linux/arm/v6, linux/arm, false",
    "linux/armhf, linux/arm/v7, true",
    "linux/amd64, linux/amd64/v1, true",
    "linux/amd64/v2, linux/amd64, false",
    "linux/amd64, linux/arm64, false",
    "linux/amd64, windows/amd64, false",
    "linux/s390x, linux/s390x, true",
    "linux/riscv64, linux/riscv64/rva22, false"
  })
  void matchesHonoursAliasesAndDefaultVariants(String want, String have, boolean matches)
      throws Exception {
    assertEquals(matches, p(want).matches(p(have)));
  }

  @Test
  void ofToleratesMissingParts() {
    Platform p = Platform.of(null, null, null);

    assertEquals("", p.os());
    assertEquals("", p.architecture());
    assertEquals("", p.variant());
    assertEquals("linux/arm64", Platform.of("LINUX", "aarch64", null).toString());
  }

  @Test
  void unknownPlatformOfAttestations() throws Exception {
    assertTrue(p("unknown/unknown").isUnknown());
    assertFalse(p("linux/unknown").isUnknown());
  }

  @Test
  void equalityIncludesTheVariant() throws Exception {
    assertNotEquals(p("linux/arm/v6"), p("linux/arm/v7"));
    assertNotEquals(p("linux/arm64"), p("linux/arm64/v8"), "equality is exact; matches is lenient");
    assertTrue(p("linux/arm64").matches(p("linux/arm64/v8")));
  }

  @Test
  void hostPlatformIsNormalised() {
    Platform host = Platform.host();

    assertFalse(host.os().isEmpty());
    assertEquals(host.os().toLowerCase(), host.os());
    assertFalse(host.architecture().equals("x86_64") || host.architecture().equals("aarch64"));
    assertTrue(host.matches(host));
  }
}
