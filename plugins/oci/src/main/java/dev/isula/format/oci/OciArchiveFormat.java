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

/** {@code oci-archive:PATH[:TAG]}: a tar file holding an OCI image layout. */
@AutoService(ImageFormat.class)
public final class OciArchiveFormat implements ImageFormat {
  @Override
  public String id() {
    return "oci-archive";
  }

  @Override
  public String description() {
    return "tar archive of an OCI image layout";
  }

  @Override
  public String syntax() {
    return "oci-archive:PATH[:TAG|:@N]";
  }

  @Override
  public boolean detect(Probe probe) throws IOException {
    return !probe.isDirectory() && probe.hasFile("oci-layout") && probe.hasFile("index.json");
  }

  @Override
  public ImageSource open(String reference, ReadOptions options)
      throws IsulaException, IOException {
    PathReference ref = PathReference.parse(reference);
    if (ref.path().isEmpty()) {
      throw new UsageException("oci-archive: missing file in '" + reference + "'");
    }
    Path file = Path.of(ref.path());
    if (!Files.exists(file)) {
      throw new NoSuchFileException(file.toString());
    }
    if (Files.isDirectory(file)) {
      throw new UsageException(
          "oci-archive:" + ref.path() + " is a directory (for a layout directory use oci:)");
    }
    return OciLayoutReader.open(
        FileTree.open(file), "oci-archive", ref.path(), ref.selector(), options.platform());
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
    return new OciArchiveSink(Path.of(ref.path()), tag, options);
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
