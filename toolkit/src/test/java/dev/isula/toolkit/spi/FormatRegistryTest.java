package dev.isula.toolkit.spi;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.isula.toolkit.api.UnsupportedFormatException;
import dev.isula.toolkit.image.Platform;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Random;
import java.util.function.Predicate;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class FormatRegistryTest {
  /** A format with a chosen id, priority and detection rule. */
  private static final class Format implements ImageFormat {
    private final String id;
    private final int priority;
    private final Predicate<Probe> detects;
    private final List<String> probed;

    Format(String id, int priority, Predicate<Probe> detects, List<String> probed) {
      this.id = id;
      this.priority = priority;
      this.detects = detects;
      this.probed = probed;
    }

    Format(String id, int priority) {
      this(id, priority, p -> true, new ArrayList<>());
    }

    @Override
    public String id() {
      return id;
    }

    @Override
    public String description() {
      return id + " for tests";
    }

    @Override
    public int priority() {
      return priority;
    }

    @Override
    public boolean detect(Probe probe) {
      probed.add(id);
      return detects.test(probe);
    }

    @Override
    public ImageSource open(String reference, ReadOptions options) {
      throw new UnsupportedOperationException();
    }
  }

  private static List<String> ids(FormatRegistry r) {
    return r.formats().stream().map(ImageFormat::id).toList();
  }

  private static Path markedDir(Path tmp) throws Exception {
    Path dir = Files.createDirectories(tmp.resolve("image"));
    Files.writeString(dir.resolve(FakeFormat.MARKER), "");
    return dir;
  }

  // ---- discovery ----

  @Test
  void loadDiscoversAThirdPartyProviderThroughServiceLoader() throws Exception {
    FormatRegistry r = FormatRegistry.load();

    ImageFormat f = r.require(FakeFormat.ID);
    assertInstanceOf(FakeFormat.class, f);
    assertTrue(r.find(FakeFormat.ID).isPresent());
    assertTrue(ids(r).contains(FakeFormat.ID));
    assertTrue(r.knownIds().contains(FakeFormat.ID), r.knownIds());
    assertEquals("fake-test:PATH", f.syntax(), "the default syntax");
    assertEquals(0, f.priority(), "the default priority");
  }

  @Test
  void loadWithAnExplicitClassLoader() {
    FormatRegistry r = FormatRegistry.load(FormatRegistryTest.class.getClassLoader());

    assertTrue(r.find(FakeFormat.ID).isPresent());
  }

  @Test
  void loadFallsBackWhenThereIsNoContextClassLoader() {
    Thread t = Thread.currentThread();
    ClassLoader saved = t.getContextClassLoader();
    t.setContextClassLoader(null);
    try {
      assertTrue(FormatRegistry.load().find(FakeFormat.ID).isPresent());
    } finally {
      t.setContextClassLoader(saved);
    }
  }

  @Test
  void duplicateIdsAreRefused() {
    IllegalStateException e =
        assertThrows(
            IllegalStateException.class,
            () ->
                FormatRegistry.of(
                    List.of(new FakeFormat(), new Format("other", 0), new FakeFormat())));

    assertTrue(e.getMessage().contains("'fake-test'"), e.getMessage());
    assertTrue(e.getMessage().contains(FakeFormat.class.getName()), e.getMessage());
  }

  // ---- lookup ----

  @Test
  void lookupById() throws Exception {
    Format a = new Format("alpha", 0);
    FormatRegistry r = FormatRegistry.of(List.of(a, new Format("beta", 0)));

    assertSame(a, r.require("alpha"));
    assertTrue(r.find("gamma").isEmpty());
    UnsupportedFormatException e =
        assertThrows(UnsupportedFormatException.class, () -> r.require("gamma"));
    assertTrue(e.getMessage().contains("known: alpha, beta"), e.getMessage());
  }

  // ---- detection order ----

  @Test
  void detectionOrderIsPriorityThenIdRegardlessOfLoadOrder() {
    List<ImageFormat> formats =
        new ArrayList<>(
            List.of(
                new Format("c", 0),
                new Format("b", 10),
                new Format("a", 0),
                new Format("d", -5),
                new Format("aa", 10),
                new Format("z", 1)));
    List<String> expected = List.of("aa", "b", "z", "a", "c", "d");
    Random random = new Random(7);

    for (int i = 0; i < 10; i++) {
      Collections.shuffle(formats, random);
      assertEquals(expected, ids(FormatRegistry.of(formats)));
    }
    assertEquals("a, aa, b, c, d, z", FormatRegistry.of(formats).knownIds(), "ids sorted");
  }

  @Test
  void detectTriesProvidersInOrderAndStopsAtTheFirstMatch(@TempDir Path tmp) throws Exception {
    List<String> probed = new ArrayList<>();
    Format high = new Format("high", 5, p -> false, probed);
    Format alpha = new Format("alpha", 0, p -> true, probed);
    Format beta = new Format("beta", 0, p -> true, probed);
    FormatRegistry r = FormatRegistry.of(List.of(beta, alpha, high));

    assertSame(alpha, r.detect(tmp));
    assertEquals(List.of("high", "alpha"), probed);
  }

  @Test
  void bareDirectoryIsDetectedByContent(@TempDir Path tmp) throws Exception {
    FormatRegistry r =
        FormatRegistry.of(
            List.of(new Format("never", 9, p -> false, new ArrayList<>()), new FakeFormat()));
    Path dir = markedDir(tmp);

    FormatRegistry.ParsedReference p = r.parse(dir.toString());

    assertEquals(FakeFormat.ID, p.format().id());
    assertEquals(dir.toString(), p.rest());
  }

  @Test
  void unrecognisedPathListsWhatWasTried(@TempDir Path tmp) throws Exception {
    FormatRegistry r =
        FormatRegistry.of(
            List.of(new FakeFormat(), new Format("other", 0, p -> false, new ArrayList<>())));
    Path plain = Files.createDirectories(tmp.resolve("plain"));

    UnsupportedFormatException e =
        assertThrows(UnsupportedFormatException.class, () -> r.detect(plain));

    assertTrue(e.getMessage().contains("fake-test, other"), e.getMessage());
    assertTrue(e.getMessage().contains(plain.toString()), e.getMessage());
  }

  @Test
  void missingPathIsNoSuchFile(@TempDir Path tmp) {
    FormatRegistry r = FormatRegistry.of(List.of(new FakeFormat()));

    assertThrows(NoSuchFileException.class, () -> r.detect(tmp.resolve("missing")));
    assertThrows(NoSuchFileException.class, () -> r.parse(tmp.resolve("missing").toString()));
  }

  // ---- references ----

  @Test
  void transportPrefixSelectsTheFormatAndKeepsTheRest() throws Exception {
    FormatRegistry r = FormatRegistry.load();

    FormatRegistry.ParsedReference p = r.parse("fake-test:some/dir:tag@x");

    assertInstanceOf(FakeFormat.class, p.format());
    assertEquals("some/dir:tag@x", p.rest());
  }

  @Test
  void unknownTransportListsTheKnownIds() {
    FormatRegistry r = FormatRegistry.of(List.of(new FakeFormat(), new Format("oci-test", 0)));

    UnsupportedFormatException e =
        assertThrows(UnsupportedFormatException.class, () -> r.parse("unknown-x:foo"));

    assertTrue(e.getMessage().contains("'unknown-x'"), e.getMessage());
    assertTrue(e.getMessage().contains("known: fake-test, oci-test"), e.getMessage());
  }

  @Test
  void openDelegatesToTheFormatWithTheRest() {
    FormatRegistry r = FormatRegistry.load();

    UnsupportedFormatException e =
        assertThrows(
            UnsupportedFormatException.class,
            () ->
                r.open(
                    "fake-test:x.tar:v1",
                    ReadOptions.forPlatform(Platform.of("linux", "amd64", ""))));

    assertEquals("fake-test cannot open 'x.tar:v1'", e.getMessage());
  }

  @Test
  void readOptions() {
    Platform arm = Platform.of("linux", "arm64", "v8");

    assertEquals(arm, ReadOptions.forPlatform(arm).platform());
    assertEquals(Platform.host(), ReadOptions.defaults().platform());
    assertThrows(NullPointerException.class, () -> ReadOptions.forPlatform(null));
  }
}
