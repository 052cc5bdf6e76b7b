package dev.isula.format.dockerarchive;

import com.google.auto.service.AutoService;
import dev.isula.toolkit.api.IsulaException;
import dev.isula.toolkit.api.UsageException;
import dev.isula.toolkit.archive.FileTree;
import dev.isula.toolkit.spi.ImageFormat;
import dev.isula.toolkit.spi.ImageSink;
import dev.isula.toolkit.spi.ImageSource;
import dev.isula.toolkit.spi.PathReference;
import dev.isula.toolkit.spi.Probe;
import dev.isula.toolkit.spi.ReadOptions;
import dev.isula.toolkit.spi.WriteOptions;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;

/**
 * {@code docker-archive:PATH[:NAME:TAG|:@N]}: what {@code docker save}, {@code podman save} and
 * skopeo write, in both the classic layout ({@code <id>/layer.tar}) and Docker 25's (an OCI layout
 * inside, with {@code manifest.json} beside it). A gzip-compressed archive is read too.
 */
@AutoService(ImageFormat.class)
public final class DockerArchiveFormat implements ImageFormat {
  @Override
  public String id() {
    return "docker-archive";
  }

  @Override
  public String description() {
    return "docker save archive (also podman, skopeo)";
  }

  @Override
  public String syntax() {
    return "docker-archive:PATH[:NAME:TAG|:@N]";
  }

  /** Goes before oci-archive: a Docker 25 archive holds an OCI layout too. */
  @Override
  public int priority() {
    return 10;
  }

  @Override
  public boolean detect(Probe probe) throws IOException {
    return probe.hasFile("manifest.json");
  }

  @Override
  public ImageSource open(String reference, ReadOptions options)
      throws IsulaException, IOException {
    PathReference ref = PathReference.parse(reference);
    if (ref.path().isEmpty()) {
      throw new UsageException("docker-archive: missing file in '" + reference + "'");
    }
    Path file = Path.of(ref.path());
    if (!Files.exists(file)) {
      throw new NoSuchFileException(file.toString());
    }
    FileTree tree = FileTree.open(file);
    try {
      return new DockerArchiveReader(tree, ref).read();
    } catch (IOException | IsulaException | RuntimeException e) {
      tree.close();
      throw e;
    }
  }

  @Override
  public boolean canWrite() {
    return true;
  }

  @Override
  public ImageSink openSink(String reference, WriteOptions options) throws IsulaException {
    PathReference ref = PathReference.parse(reference);
    if (ref.path().isEmpty()) {
      throw new UsageException("docker-archive: missing file in '" + reference + "'");
    }
    if (ref.sourceIndex() >= 0) {
      throw new UsageException(
          "docker-archive: '@N' selects an image to read, not a name to write");
    }
    String name = ref.selector() != null ? ref.selector() : options.name();
    return new DockerArchiveSink(Path.of(ref.path()), name, options);
  }

  @Override
  public java.util.List<String> list(String reference) throws IsulaException, IOException {
    PathReference ref = PathReference.parse(reference);
    if (ref.selector() != null) {
      return java.util.List.of(reference);
    }
    try (FileTree tree = FileTree.open(Path.of(ref.path()));
        java.io.InputStream in = tree.open("manifest.json")) {
      com.fasterxml.jackson.databind.JsonNode manifest =
          dev.isula.toolkit.json.Json.parse(
              dev.isula.toolkit.json.Json.readCapped(
                  in,
                  dev.isula.toolkit.json.Json.MAX_MANIFEST_BYTES,
                  ref.path() + ": manifest.json"),
              ref.path() + ": manifest.json");
      java.util.List<String> out = new java.util.ArrayList<>();
      for (int i = 0; i < manifest.size(); i++) {
        out.add(ref.path() + ":@" + i);
      }
      return out;
    }
  }
}
