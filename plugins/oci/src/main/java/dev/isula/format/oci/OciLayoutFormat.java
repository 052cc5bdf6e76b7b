package dev.isula.format.oci;

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

/** {@code oci:DIR[:TAG]}: an OCI image layout directory, as skopeo, umoci and buildah write. */
@AutoService(ImageFormat.class)
public final class OciLayoutFormat implements ImageFormat {
  @Override
  public String id() {
    return "oci";
  }

  @Override
  public String description() {
    return "OCI image layout directory";
  }

  @Override
  public String syntax() {
    return "oci:DIR[:TAG|:@N]";
  }

  @Override
  public boolean detect(Probe probe) throws IOException {
    return probe.isDirectory() && Files.isRegularFile(probe.path().resolve("oci-layout"));
  }

  @Override
  public ImageSource open(String reference, ReadOptions options)
      throws IsulaException, IOException {
    PathReference ref = PathReference.parse(reference);
    if (ref.path().isEmpty()) {
      throw new UsageException("oci: missing directory in '" + reference + "'");
    }
    Path dir = Path.of(ref.path());
    if (!Files.exists(dir)) {
      throw new NoSuchFileException(dir.toString());
    }
    if (!Files.isDirectory(dir)) {
      throw new UsageException(
          "oci:" + ref.path() + " is not a directory (for a tar of a layout use oci-archive:)");
    }
    return OciLayoutReader.open(
        FileTree.open(dir), "oci", ref.path(), ref.selector(), options.platform());
  }

  @Override
  public boolean canWrite() {
    return true;
  }

  @Override
  public ImageSink openSink(String reference, WriteOptions options) throws IsulaException {
    PathReference ref = PathReference.parse(reference);
    if (ref.path().isEmpty()) {
      throw new UsageException(id() + ": missing path in '" + reference + "'");
    }
    String tag = ref.selector() != null ? ref.selector() : options.name();
    return new OciLayoutSink(Path.of(ref.path()), tag, options);
  }

  @Override
  public java.util.List<String> list(String reference) throws IsulaException, IOException {
    PathReference ref = PathReference.parse(reference);
    if (ref.selector() != null) {
      return java.util.List.of(reference);
    }
    try (FileTree tree = FileTree.open(Path.of(ref.path()))) {
      return OciLayoutReader.list(tree, ref.path());
    }
  }
}
