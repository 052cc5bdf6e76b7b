package dev.isula.format.registry;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class ChallengeTest {
  @Test
  void bearerWithRealmServiceAndScope() {
    List<Challenge> cs =
        Challenge.parse(
            "Bearer realm=\"https://auth.docker.io/token\",service=\"registry.docker.io\","
                + "scope=\"repository:library/busybox:pull\"");
    assertEquals(1, cs.size());
    Challenge c = cs.get(0);
    assertTrue(c.isBearer());
    assertEquals("https://auth.docker.io/token", c.param("realm"));
    assertEquals("registry.docker.io", c.param("service"));
    assertEquals("repository:library/busybox:pull", c.param("scope"));
  }

  @Test
  void basicAsDistributionSendsIt() {
    Challenge c = Challenge.parse("Basic realm=\"test-realm\"").get(0);
    assertTrue(c.isBasic());
    assertEquals(Map.of("realm", "test-realm"), c.params());
  }

  @Test
  void schemeAndNamesAreCaseInsensitiveAndSpacesAllowed() {
    Challenge c = Challenge.parse("BEARER  Realm = \"http://x/t\" , Service=reg").get(0);
    assertTrue(c.isBearer());
    assertEquals("http://x/t", c.param("realm"));
    assertEquals("reg", c.param("service"));
  }

  @Test
  void quotedValuesKeepCommasAndEscapes() {
    Challenge c =
        Challenge.parse(
                "Bearer realm=\"http://h/token\",scope=\"repository:a/b:pull,push"
                    + " repository:c:pull\",error=\"say \\\"no\\\"\"")
            .get(0);
    assertEquals("repository:a/b:pull,push repository:c:pull", c.param("scope"));
    assertEquals("say \"no\"", c.param("error"));
  }

  @Test
  void severalChallengesInOneHeader() {
    List<Challenge> cs =
        Challenge.parse("Basic realm=\"r1\", Bearer realm=\"http://h/t\",service=\"s\"");
    assertEquals(2, cs.size());
    assertTrue(cs.get(0).isBasic());
    assertEquals("r1", cs.get(0).param("realm"));
    assertTrue(cs.get(1).isBearer());
    assertEquals("s", cs.get(1).param("service"));
  }

  @Test
  void choosePrefersBearerWithRealm() {
    assertTrue(
        Challenge.choose(List.of("Basic realm=\"a\"", "Bearer realm=\"http://t\"")).isBearer());
    assertTrue(Challenge.choose(List.of("Basic realm=\"a\"", "Bearer service=\"x\"")).isBasic());
    assertNull(Challenge.choose(List.of("Negotiate abc==")));
    assertNull(Challenge.choose(List.of()));
  }

  @Test
  void malformedInputDoesNotThrow() {
    for (String h :
        new String[] {"", "=", "Bearer realm=\"unterminated", ",,,", "realm=x Bearer", "\"x\""}) {
      Challenge.parse(h);
    }
    assertEquals(
        "unterminated", Challenge.parse("Bearer realm=\"unterminated").get(0).param("realm"));
  }
}
