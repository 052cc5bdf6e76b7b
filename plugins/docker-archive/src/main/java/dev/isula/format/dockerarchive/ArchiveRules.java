package dev.isula.format.dockerarchive;

import com.fasterxml.jackson.databind.JsonNode;
import dev.isula.toolkit.api.IsulaException;
import dev.isula.toolkit.archive.FileTree;
import dev.isula.toolkit.compress.Compression;
import dev.isula.toolkit.hash.Digest;
import dev.isula.toolkit.image.CreatedDates;
import dev.isula.toolkit.image.Image;
import dev.isula.toolkit.image.ImageName;
import dev.isula.toolkit.io.TempFiles;
import dev.isula.toolkit.json.Json;
import dev.isula.toolkit.spi.FormatRegistry;
import dev.isula.toolkit.spi.ImageSink;
import dev.isula.toolkit.spi.ImageSource;
import dev.isula.toolkit.spi.LoaderRules;
import dev.isula.toolkit.spi.ReadOptions;
import dev.isula.toolkit.spi.WriteOptions;
import java.io.BufferedInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.util.ArrayList;
import java.util.EnumSet;
import java.util.List;
import java.util.Set;

/**
 * The rules a loader applies to a docker-archive, parameterised by a {@link Profile} per loader:
 * iSulad's {@code oci_load.c}, docker 20.10's {@code image/tarexport/load.go}, and the {@code
 * docker/internal/tarfile} reader of containers/image that {@code podman load} uses. Each rule is
 * checked on its own so that an archive breaking one rule fails that rule only; rules that need
 * something an earlier rule found broken are skipped.
 */
abstract class ArchiveRules implements LoaderRules {
  /** iSulad's cap on manifest.json and the config, read whole by its JSON parser. */
  static final long ISULAD_MAX_JSON = 10L << 20;

  /**
   * What one loader requires.
   *
   * @param loader the {@code --for} id
   * @param description one line for messages
   * @param tagRequired every RepoTag must carry a tag (docker, podman: {@code NamedTagged})
   * @param maxJsonBytes cap on manifest.json and each config, 0 for none
   * @param isuladFields architecture, os, rootfs.type and rootfs.diff_ids must be there
   * @param linuxOnly os must be empty or linux (docker: {@code system.IsOSSupported})
   * @param created every created date present and valid (iSulad's {@code check_time_valid})
   * @param layerRequired at least one layer (iSulad's {@code oci_load_register_layers})
   * @param compressions the layer encodings the loader reads
   */
  record Profile(
      String loader,
      String description,
      boolean tagRequired,
      long maxJsonBytes,
      boolean isuladFields,
      boolean linuxOnly,
      boolean created,
      boolean layerRequired,
      Set<Compression> compressions) {}

  abstract Profile profile();

  @Override
  public String loader() {
    return profile().loader();
  }

  @Override
  public String description() {
    return profile().description();
  }

  @Override
  public List<Result> check(String reference, ReadOptions options)
      throws IOException, IsulaException {
    String ref = reference.startsWith("docker-archive:") ? reference.substring(15) : reference;
    int selector = ref.indexOf(':');
    if (selector > 0 && !Files.exists(Path.of(ref))) {
      ref = ref.substring(0, selector);
    }
    Path file = Path.of(ref);
    if (Files.isRegularFile(file)) {
      try (FileTree tree = FileTree.open(file)) {
        return new Run(profile(), tree).results();
      }
    }
    // any other image: check it as save writes it for the loader, a classic docker-archive
    Path tmp = TempFiles.create("isula-check-", ".tar");
    try {
      FormatRegistry registry = FormatRegistry.load();
      try (ImageSource source = registry.open(reference, options)) {
        Image image = source.image();
        options.log().accept("checking " + image.source() + " as save writes it (docker-archive)");
        try (ImageSink sink =
            new DockerArchiveSink(tmp, null, WriteOptions.builder().log(s -> {}).build())) {
          sink.write(image);
        }
      }
      try (FileTree tree = FileTree.open(tmp)) {
        return new Run(profile(), tree).results();
      }
    } finally {
      Files.deleteIfExists(tmp);
    }
  }

  /** One check of one archive. */
  private static final class Run {
    private final Profile p;
    private final FileTree tree;
    private final List<Result> out = new ArrayList<>();
    private final List<JsonNode> entries = new ArrayList<>();
    private final List<JsonNode> configs = new ArrayList<>();

    Run(Profile p, FileTree tree) {
      this.p = p;
      this.tree = tree;
    }

    private void pass(String rule, String detail) {
      out.add(new Result(rule, Status.PASS, detail));
    }

    private void fail(String rule, String detail) {
      out.add(new Result(rule, Status.FAIL, detail));
    }

    private void skip(String rule, String detail) {
      out.add(new Result(rule, Status.SKIP, detail));
    }

    List<Result> results() throws IOException {
      if (!manifest()) {
        for (String rule : laterRules()) {
          skip(rule, "not checked: manifest.json is unusable");
        }
        return out;
      }
      repoTags();
      if (p.maxJsonBytes() > 0) {
        jsonSize();
      }
      boolean configsRead = configFields();
      if (!configsRead) {
        List<String> rest = laterRules();
        rest.remove("repo-tags");
        rest.remove("json-size");
        rest.remove("config-fields");
        for (String rule : rest) {
          skip(rule, "not checked: a config is unusable");
        }
        return out;
      }
      if (p.created()) {
        created();
      }
      layerCount();
      if (p.layerRequired()) {
        atLeastOneLayer();
      }
      layerFiles();
      return out;
    }

    private List<String> laterRules() {
      List<String> r = new ArrayList<>(List.of("repo-tags"));
      if (p.maxJsonBytes() > 0) {
        r.add("json-size");
      }
      r.add("config-fields");
      if (p.created()) {
        r.add("created");
      }
      r.add("layer-count");
      if (p.layerRequired()) {
        r.add("layers");
      }
      r.addAll(List.of("layer-paths", "layer-compression", "diff-ids"));
      return r;
    }

    private boolean manifest() throws IOException {
      String rule = "manifest";
      try {
        if (!tree.isFile("manifest.json")) {
          fail(rule, "no manifest.json at the root of " + tree.describe());
          return false;
        }
        JsonNode m;
        try (InputStream in = tree.open("manifest.json")) {
          m = Json.parse(Json.readCapped(in, 64 << 20, "manifest.json"), "manifest.json");
        }
        if (!m.isArray() || m.isEmpty()) {
          fail(rule, "manifest.json is not a non-empty JSON array");
          return false;
        }
        for (int i = 0; i < m.size(); i++) {
          JsonNode e = m.get(i);
          if (!e.isObject() || !e.path("Config").isTextual()) {
            fail(rule, "manifest.json entry " + i + " has no Config");
            return false;
          }
          if (!e.path("Layers").isArray()) {
            fail(rule, "manifest.json entry " + i + " has no Layers array");
            return false;
          }
          for (JsonNode l : e.get("Layers")) {
            if (!l.isTextual()) {
              fail(rule, "manifest.json entry " + i + ": Layers must hold file names");
              return false;
            }
          }
          entries.add(e);
        }
        pass(rule, "manifest.json: " + m.size() + " image(s), each with Config and Layers");
        return true;
      } catch (IsulaException e) {
        fail(rule, e.getMessage());
        return false;
      }
    }

    private void repoTags() {
      String rule = "repo-tags";
      int n = 0;
      for (JsonNode e : entries) {
        JsonNode tags = e.get("RepoTags");
        if (tags == null || tags.isNull()) {
          continue;
        }
        if (!tags.isArray()) {
          fail(rule, "RepoTags must be an array");
          return;
        }
        for (JsonNode t : tags) {
          String tag = t.asText();
          if (!t.isTextual() || !ImageName.isValid(tag)) {
            fail(
                rule,
                "'"
                    + t.asText()
                    + "' is not a valid image name (at most 255 characters,"
                    + " [HOST[:PORT]/]PATH[:TAG], lowercase)");
            return;
          }
          if (p.tagRequired() && !hasTag(tag)) {
            fail(rule, "'" + tag + "' has no tag (NAME:TAG required)");
            return;
          }
          n++;
        }
      }
      pass(rule, n == 0 ? "no RepoTags (the image loads unnamed)" : n + " valid name(s)");
    }

    private static boolean hasTag(String name) {
      if (name.contains("@")) {
        return false;
      }
      return name.substring(name.lastIndexOf('/') + 1).contains(":");
    }

    private void jsonSize() {
      String rule = "json-size";
      try {
        List<String> files = new ArrayList<>(List.of("manifest.json"));
        for (JsonNode e : entries) {
          String c = e.get("Config").asText();
          if (tree.isFile(c)) {
            files.add(c);
          }
        }
        for (String f : files) {
          long size = tree.size(f);
          if (size > p.maxJsonBytes()) {
            fail(rule, f + " is " + size + " bytes, over " + p.maxJsonBytes() + " (10 MiB)");
            return;
          }
        }
        pass(rule, "manifest.json and config(s) within 10 MiB");
      } catch (IsulaException e) {
        fail(rule, e.getMessage());
      }
    }

    private boolean configFields() throws IOException {
      String rule = "config-fields";
      for (JsonNode e : entries) {
        String name = e.get("Config").asText();
        JsonNode c;
        try {
          if (!insideArchive(name) || !tree.isFile(name)) {
            fail(rule, "config " + name + " is not a file of the archive");
            return false;
          }
          try (InputStream in = tree.open(name)) {
            c = Json.parse(Json.readCapped(in, 64 << 20, name), name);
          }
        } catch (IsulaException ex) {
          fail(rule, "config " + name + ": " + ex.getMessage());
          return false;
        }
        if (!c.isObject()) {
          fail(rule, "config " + name + " is not a JSON object");
          return false;
        }
        configs.add(c);
        JsonNode rootfs = c.path("rootfs");
        if (!rootfs.isObject()) {
          fail(rule, name + ": no rootfs");
          return false;
        }
        if (!rootfs.path("diff_ids").isArray()) {
          fail(rule, name + ": no rootfs.diff_ids");
          return false;
        }
        if (p.isuladFields()) {
          for (String f : List.of("architecture", "os")) {
            if (!c.path(f).isTextual()) {
              fail(rule, name + ": no " + f);
              return false;
            }
          }
          if (!rootfs.path("type").isTextual()) {
            fail(rule, name + ": no rootfs.type");
            return false;
          }
        }
        if (p.linuxOnly()) {
          String os = c.path("os").asText("");
          if (!os.isEmpty() && !os.equals("linux")) {
            fail(rule, name + ": os '" + os + "' is not supported (linux)");
            return false;
          }
        }
      }
      pass(
          rule,
          p.isuladFields()
              ? "architecture, os, rootfs.type and rootfs.diff_ids present"
              : "rootfs.diff_ids present" + (p.linuxOnly() ? ", os linux" : ""));
      return true;
    }

    private void created() {
      String rule = "created";
      int n = 0;
      for (int k = 0; k < configs.size(); k++) {
        JsonNode c = configs.get(k);
        String name = entries.get(k).get("Config").asText();
        var problem = CreatedDates.problem(text(c.get("created")));
        if (problem.isPresent()) {
          fail(rule, name + ": created " + problem.get());
          return;
        }
        n++;
        JsonNode history = c.path("history");
        for (int i = 0; i < history.size(); i++) {
          problem = CreatedDates.problem(text(history.get(i).get("created")));
          if (problem.isPresent()) {
            fail(rule, name + ": history " + i + " created " + problem.get());
            return;
          }
          n++;
        }
      }
      pass(
          rule, n + " date(s), all RFC 3339 within 1970-01-01T00:00:00Z to " + CreatedDates.LATEST);
    }

    private static String text(JsonNode n) {
      return n != null && n.isTextual() ? n.asText() : null;
    }

    private void layerCount() {
      String rule = "layer-count";
      for (int k = 0; k < configs.size(); k++) {
        int layers = entries.get(k).get("Layers").size();
        int ids = configs.get(k).path("rootfs").path("diff_ids").size();
        if (layers != ids) {
          fail(
              rule,
              entries.get(k).get("Config").asText()
                  + ": "
                  + ids
                  + " diff_ids for "
                  + layers
                  + " Layers");
          return;
        }
      }
      pass(rule, "as many rootfs.diff_ids as Layers");
    }

    private void atLeastOneLayer() {
      for (JsonNode e : entries) {
        if (e.get("Layers").isEmpty()) {
          fail("layers", "image " + e.get("Config").asText() + " has no layer");
          return;
        }
      }
      pass("layers", "every image has at least one layer");
    }

    private void layerFiles() throws IOException {
      List<String> badPath = new ArrayList<>();
      List<String> badCompression = new ArrayList<>();
      List<String> badDiffId = new ArrayList<>();
      int checked = 0;
      List<String> notChecked = new ArrayList<>();
      EnumSet<Compression> seen = EnumSet.noneOf(Compression.class);
      for (int k = 0; k < entries.size(); k++) {
        JsonNode layers = entries.get(k).get("Layers");
        JsonNode ids = configs.get(k).path("rootfs").path("diff_ids");
        for (int i = 0; i < layers.size(); i++) {
          String name = layers.get(i).asText();
          try {
            if (!insideArchive(name) || !tree.isFile(name)) {
              badPath.add(name);
              continue;
            }
          } catch (IsulaException e) {
            badPath.add(name + " (" + e.getMessage() + ")");
            continue;
          }
          Compression c;
          try (InputStream in = new BufferedInputStream(tree.open(name))) {
            c = Compression.detect(in);
          } catch (IsulaException e) {
            badPath.add(name + " (" + e.getMessage() + ")");
            continue;
          }
          seen.add(c);
          if (!p.compressions().contains(c)) {
            badCompression.add(name + " (" + encoding(c) + ")");
            notChecked.add(name);
            continue;
          }
          if (i >= ids.size() || Digest.tryParse(ids.get(i).asText()) == null) {
            notChecked.add(name);
            continue;
          }
          Digest expected = Digest.tryParse(ids.get(i).asText());
          Digest actual;
          try (InputStream in = c.open(new BufferedInputStream(tree.open(name)))) {
            MessageDigest md = expected.newHasher();
            byte[] buf = new byte[1 << 16];
            for (int r; (r = in.read(buf)) > 0; ) {
              md.update(buf, 0, r);
            }
            actual = Digest.fromHash(expected.algorithm(), md.digest());
          } catch (IsulaException | IOException e) {
            badDiffId.add(name + " (unreadable: " + e.getMessage() + ")");
            continue;
          }
          checked++;
          if (!actual.equals(expected)) {
            badDiffId.add(name + " is " + actual + ", config says " + expected);
          }
        }
      }
      if (badPath.isEmpty()) {
        pass("layer-paths", "every layer is a file inside the archive");
      } else {
        fail("layer-paths", "not a file inside the archive: " + String.join(", ", badPath));
      }
      List<String> allowed = p.compressions().stream().map(Run::encoding).toList();
      if (badCompression.isEmpty()) {
        pass(
            "layer-compression",
            "layers are "
                + String.join(" or ", seen.stream().map(Compression::id).toList())
                + " (readable: "
                + String.join(", ", allowed)
                + ")");
      } else {
        fail(
            "layer-compression",
            "not " + String.join(", ", allowed) + ": " + String.join(", ", badCompression));
      }
      if (!badDiffId.isEmpty()) {
        fail("diff-ids", String.join("; ", badDiffId));
      } else {
        pass(
            "diff-ids",
            checked
                + " layer(s) match their DiffID"
                + (notChecked.isEmpty() ? "" : "; not checked: " + String.join(", ", notChecked)));
      }
    }

    private static String encoding(Compression c) {
      return c == Compression.NONE ? "plain tar" : c.id();
    }

    /** The loaders join the name to their extraction directory: it must stay inside. */
    private static boolean insideArchive(String name) {
      if (name.isEmpty() || name.startsWith("/") || name.indexOf('\0') >= 0) {
        return false;
      }
      int depth = 0;
      for (String part : name.split("/")) {
        if (part.equals("..")) {
          if (--depth < 0) {
            return false;
          }
        } else if (!part.isEmpty() && !part.equals(".")) {
          depth++;
        }
      }
      return depth > 0;
    }
  }
}
