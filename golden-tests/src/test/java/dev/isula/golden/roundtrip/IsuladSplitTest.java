package dev.isula.golden.roundtrip;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.isula.golden.roundtrip.WrittenImage.Target;
import dev.isula.toolkit.json.Json;
import dev.isula.toolkit.testing.TestImage;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * What makes empty.tar safe for {@code isula load}: created dates always there and in range
 * (iSulad's {@code oci_valid_time}), {@code --tag} against the name takeover, and a split record
 * that names the image instead of where it was read from, so that the same image split anywhere
 * gives the same bytes.
 */
class IsuladSplitTest {
  @TempDir Path tmp;

  private static final List<byte[]> TARS = Samples.byName("hello").image().tars();

  private static JsonNode record(Path emptyTar) throws Exception {
    return WrittenImage.JSON.readTree(
        WrittenImage.tarFiles(Files.readAllBytes(emptyTar)).get("isula-split.json"));
  }

  private static List<String> createdDates(ObjectNode config) {
    List<String> out = new ArrayList<>();
    out.add(config.path("created").asText(null));
    config.path("history").forEach(h -> out.add(h.path("created").asText(null)));
    return out;
  }

  private Isula.Run splitIn(Path cwd, Map<String, String> env, String image, String out)
      throws Exception {
    return Isula.subprocess(
        cwd, env, null, "export", "-q", "--split", "--rootfs-format", "tar", image, out);
  }

  // ------------------------------------------------------------------ item 7: reproducible

  /** The same image, stored at two paths and in two formats, splits into the same empty.tar. */
  @Test
  void sameImageFromTwoPathsGivesByteIdenticalEmptyTar() throws Exception {
    TestImage img = Samples.byName("whiteouts").image();
    Path a = Files.createDirectories(tmp.resolve("first/place"));
    Path b = Files.createDirectories(tmp.resolve("elsewhere"));
    img.writeDockerArchive(a.resolve("img.tar"), "example.org/ns/app:1");
    img.writeDockerArchive(b.resolve("other-name.tar"), "example.org/ns/app:1");
    img.writeOciLayout(b.resolve("layout"), "example.org/ns/app:1");
    List<String> refs =
        List.of(
            "docker-archive:" + a.resolve("img.tar"),
            "docker-archive:" + b.resolve("other-name.tar"),
            "oci:" + b.resolve("layout") + ":example.org/ns/app:1");
    for (Map<String, String> env :
        List.of(Map.<String, String>of(), Map.of("SOURCE_DATE_EPOCH", "1700000000"))) {
      byte[] first = null;
      for (int i = 0; i < refs.size(); i++) {
        Path out = tmp.resolve("out-" + env.size() + "-" + i);
        Isula.Run run = splitIn(tmp, env, refs.get(i), out.toString());
        assertEquals(0, run.exitCode(), run::toString);
        byte[] empty = Files.readAllBytes(out.resolve("empty.tar"));
        String text = new String(empty, StandardCharsets.ISO_8859_1);
        assertFalse(text.contains(tmp.toString()), "empty.tar names no local path: " + refs.get(i));
        assertFalse(text.contains("docker-archive:") || text.contains("oci:"), refs.get(i));
        if (first == null) {
          first = empty;
        } else {
          assertArrayEquals(first, empty, refs.get(i) + " with " + env);
        }
        JsonNode record = record(out.resolve("empty.tar"));
        assertEquals(2, record.path("version").asInt());
        assertEquals("[\"example.org/ns/app:1\"]", record.path("source").path("names").toString());
        assertTrue(record.path("source").path("image").isMissingNode(), record.toString());
        assertTrue(record.path("source").path("manifestDigest").isMissingNode(), record.toString());
      }
    }
  }

  /** A version 1 record (reference as typed, manifest digest) is still read by import --rootfs. */
  @Test
  void versionOneRecordIsStillImported() throws Exception {
    String image = Samples.byName("hello").writeDockerArchive(tmp.resolve("in.tar"));
    Path out = tmp.resolve("split");
    SplitRoundTripTest.split(List.of(), "tar", image, out).ok();
    Map<String, byte[]> files = WrittenImage.tarFiles(Files.readAllBytes(out.resolve("empty.tar")));
    ObjectNode v2 = (ObjectNode) WrittenImage.JSON.readTree(files.get("isula-split.json"));
    ObjectNode v1 = v2.deepCopy();
    v1.put("version", 1);
    ObjectNode source = (ObjectNode) v1.get("source");
    source.remove("names");
    source.put("image", "docker-archive:/some/local/path/in.tar");
    source.put("manifestDigest", "sha256:" + "0".repeat(64));
    Map<String, byte[]> rewritten = new LinkedHashMap<>(files);
    rewritten.put("isula-split.json", Json.compact(v1));
    Path old = Crafted.write(tmp.resolve("old-empty.tar"), rewritten);
    String ref = Target.DOCKER_ARCHIVE.ref(tmp, "restored");
    Isula.ok(
        "import",
        "-q",
        "--rootfs",
        out.resolve("rootfs.tar").toString(),
        old.toString(),
        "-o",
        ref);
    WrittenImage restored = Target.DOCKER_ARCHIVE.read(tmp, "restored");
    assertArrayEquals(
        Files.readAllBytes(out.resolve("rootfs.tar")), restored.layers().get(0).tar());
    assertEquals(
        "[\"isula-sample:latest\"]",
        restored.dockerManifest().get(0).get("RepoTags").toString(),
        "a v1 record keeps no names: empty.tar's name is used");
  }

  // ------------------------------------------------------------------ item 1: --tag

  /** --tag names empty.tar; the record keeps the original name, which import --rootfs restores. */
  @Test
  void tagNamesEmptyTarAndImportRestoresTheOriginalName() throws Exception {
    String image = Samples.byName("hello").writeDockerArchive(tmp.resolve("in.tar"));
    Path out = tmp.resolve("split");
    SplitRoundTripTest.split(List.of("--tag", "hello-spec:split"), "tar", image, out).ok();
    WrittenImage empty = WrittenImage.readDockerArchive(out.resolve("empty.tar"));
    assertEquals(
        "[\"hello-spec:split\"]", empty.dockerManifest().get(0).get("RepoTags").toString());
    assertEquals(
        "[\"isula-sample:latest\"]",
        record(out.resolve("empty.tar")).path("source").path("names").toString());
    Isula.ok(
        "import",
        "-q",
        "--rootfs",
        out.resolve("rootfs.tar").toString(),
        out.resolve("empty.tar").toString(),
        "-o",
        Target.DOCKER_ARCHIVE.ref(tmp, "restored"));
    assertEquals(
        "[\"isula-sample:latest\"]",
        Target.DOCKER_ARCHIVE
            .read(tmp, "restored")
            .dockerManifest()
            .get(0)
            .get("RepoTags")
            .toString());
  }

  /** An image without a name splits into an unnamed empty.tar unless --tag names it. */
  @Test
  void tagNamesAnUnnamedImage() throws Exception {
    Path in =
        Crafted.dockerArchive(
            tmp.resolve("unnamed.tar"), Crafted.config(TARS, "2021-01-01T00:00:00Z"), TARS);
    Path out = tmp.resolve("split");
    SplitRoundTripTest.split(List.of("--tag", "x/y:z"), "tar", in.toString(), out).ok();
    assertEquals(
        "[\"x/y:z\"]",
        WrittenImage.readDockerArchive(out.resolve("empty.tar"))
            .dockerManifest()
            .get(0)
            .get("RepoTags")
            .toString());
    assertEquals("[]", record(out.resolve("empty.tar")).path("source").path("names").toString());
  }

  @Test
  void badTagIsAUsageError() throws Exception {
    String image = Samples.byName("hello").writeDockerArchive(tmp.resolve("in.tar"));
    for (List<String> args :
        List.of(
            List.of(
                "export", "-q", "--split", "--tag", "Upper:1", image, tmp.resolve("a").toString()),
            List.of(
                "export",
                "-q",
                "--split",
                "--tag",
                "x@sha256:" + "0".repeat(64),
                image,
                tmp.resolve("b").toString()),
            List.of("export", "-q", "--tag", "x:1", image, tmp.resolve("c.tar").toString()))) {
      Isula.Run run = Isula.run(args);
      assertEquals(2, run.exitCode(), run::toString);
      assertEquals(1, run.errLines().size(), run::toString);
      assertTrue(run.err().contains("--tag"), run::toString);
    }
    for (String n : List.of("a", "b", "c.tar")) {
      assertFalse(Files.exists(tmp.resolve(n)), n);
    }
  }

  // ------------------------------------------------------------------ item 2: dates

  /** No created anywhere: SOURCE_DATE_EPOCH, else the newest date, else the epoch, said once. */
  @Test
  void missingDatesAreFilledIn() throws Exception {
    ObjectNode none = Crafted.config(TARS, null);
    Path in = Crafted.dockerArchive(tmp.resolve("no-dates.tar"), none, TARS, "nodates:1");
    ObjectNode some = Crafted.config(TARS, null);
    ((ObjectNode) some.get("history").get(0)).put("created", "2019-05-05T10:00:00.123456789Z");
    ((ObjectNode) some.get("history").get(1)).put("created", "2018-01-01T00:00:00+02:00");
    Path inSome = Crafted.dockerArchive(tmp.resolve("some-dates.tar"), some, TARS, "somedates:1");

    record Case(Path in, Map<String, String> env, String expected, String from) {}
    List<Case> cases =
        List.of(
            new Case(
                in,
                Map.of("SOURCE_DATE_EPOCH", "1600000000"),
                "2020-09-13T12:26:40Z",
                "SOURCE_DATE_EPOCH"),
            new Case(in, Map.of(), "1970-01-01T00:00:00Z", "no date in the image"),
            new Case(inSome, Map.of(), "2019-05-05T10:00:00.123456789Z", "the newest date"));
    int n = 0;
    for (Case c : cases) {
      Path out = tmp.resolve("out" + n++);
      Isula.Run run = splitIn(tmp, c.env(), c.in().toString(), out.toString());
      assertEquals(0, run.exitCode(), run::toString);
      assertEquals(1, run.errLines().size(), run::toString);
      assertTrue(run.err().startsWith("warning: the image has no created date ("), run::toString);
      assertTrue(run.err().contains(c.expected() + " (" + c.from()), run::toString);
      ObjectNode config = WrittenImage.readDockerArchive(out.resolve("empty.tar")).config();
      for (String d : createdDates(config)) {
        assertTrue(d != null, "every date is there: " + config);
      }
      assertEquals(c.expected(), config.path("created").asText(), config::toString);
      if (c.in() == inSome) {
        assertEquals(
            List.of(
                c.expected(),
                "2019-05-05T10:00:00.123456789Z",
                "2018-01-01T00:00:00+02:00",
                c.expected()),
            createdDates(config),
            "dates that were there are kept as they were");
      } else {
        createdDates(config).forEach(d -> assertEquals(c.expected(), d));
      }
      // import --rootfs keeps them and adds its own
      Isula.Run imported =
          Isula.subprocess(
              tmp,
              c.env(),
              null,
              "import",
              "-q",
              "--rootfs",
              out.resolve("rootfs.tar").toString(),
              out.resolve("empty.tar").toString(),
              "-o",
              "docker-archive:" + out.resolve("restored.tar"));
      assertEquals(0, imported.exitCode(), imported::toString);
      assertEquals("", imported.err(), imported::toString);
      for (String d :
          createdDates(WrittenImage.readDockerArchive(out.resolve("restored.tar")).config())) {
        assertTrue(d != null && d.matches("\\d{4}-.*"), d);
      }
    }
  }

  /** A date after 2038-01-19T03:14:07Z is kept, with one warning; so is one with a bad form. */
  @Test
  void datesIsuladRefusesAreKeptAndWarnedAbout() throws Exception {
    ObjectNode late = Crafted.config(TARS, "2020-01-01T00:00:00Z");
    late.put("created", "2040-02-02T00:00:00Z");
    ((ObjectNode) late.get("history").get(1)).put("created", "2021-01-01T00:00:00.1234567891Z");
    Path in = Crafted.dockerArchive(tmp.resolve("late.tar"), late, TARS, "late:1");
    Path out = tmp.resolve("out");
    Isula.Run run = splitIn(tmp, Map.of(), in.toString(), out.toString());
    assertEquals(0, run.exitCode(), run::toString);
    assertEquals(1, run.errLines().size(), run::toString);
    assertTrue(run.err().startsWith("warning: isula load will refuse this image"), run::toString);
    assertTrue(
        run.err().contains("config: 2040-02-02T00:00:00Z is after 2038-01-19T03:14:07Z"),
        run::toString);
    assertTrue(run.err().contains("history 1: '2021-01-01T00:00:00.1234567891Z'"), run::toString);
    ObjectNode config = WrittenImage.readDockerArchive(out.resolve("empty.tar")).config();
    assertEquals("2040-02-02T00:00:00Z", config.path("created").asText());
    assertEquals(
        "2040-02-02T00:00:00Z",
        config.get("history").get(2).path("created").asText(),
        "the split's entry");

    // the last accepted second is fine
    ObjectNode edge = Crafted.config(TARS, "2038-01-19T03:14:07Z");
    Path inEdge = Crafted.dockerArchive(tmp.resolve("edge.tar"), edge, TARS, "edge:1");
    Isula.Run ok = splitIn(tmp, Map.of(), inEdge.toString(), tmp.resolve("edge").toString());
    assertEquals(0, ok.exitCode(), ok::toString);
    assertEquals("", ok.err(), ok::toString);
  }

  /** import: a SOURCE_DATE_EPOCH above 2147483647 is used but warned about. */
  @Test
  void importWarnsAboutALateSourceDateEpoch() throws Exception {
    Path rootfs = tmp.resolve("rootfs.tar");
    Files.write(rootfs, TARS.get(0));
    for (String epoch : List.of("2147483647", "2147483648")) {
      Path target = tmp.resolve("img-" + epoch + ".tar");
      Isula.Run run =
          Isula.subprocess(
              tmp,
              Map.of("SOURCE_DATE_EPOCH", epoch),
              null,
              "import",
              "-q",
              rootfs.toString(),
              "x:1",
              "-o",
              "docker-archive:" + target);
      assertEquals(0, run.exitCode(), run::toString);
      ObjectNode config = WrittenImage.readDockerArchive(target).config();
      if (epoch.equals("2147483647")) {
        assertEquals("", run.err(), run::toString);
        assertEquals("2038-01-19T03:14:07Z", config.path("created").asText());
      } else {
        assertEquals(1, run.errLines().size(), run::toString);
        assertTrue(
            run.err().contains("SOURCE_DATE_EPOCH=2147483648 is above 2147483647"), run::toString);
        assertEquals("2038-01-19T03:14:08Z", config.path("created").asText());
      }
    }
  }
}
