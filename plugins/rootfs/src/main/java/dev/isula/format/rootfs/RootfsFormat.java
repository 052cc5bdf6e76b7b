package dev.isula.format.rootfs;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.google.auto.service.AutoService;
import dev.isula.toolkit.api.IsulaException;
import dev.isula.toolkit.api.UsageException;
import dev.isula.toolkit.blob.TempBlob;
import dev.isula.toolkit.compress.Compression;
import dev.isula.toolkit.image.Image;
import dev.isula.toolkit.image.ImageTimes;
import dev.isula.toolkit.image.Layer;
import dev.isula.toolkit.image.MediaTypes;
import dev.isula.toolkit.image.Platform;
import dev.isula.toolkit.json.Json;
import dev.isula.toolkit.rootfs.RootfsLayers;
import dev.isula.toolkit.spi.FormatRegistry;
import dev.isula.toolkit.spi.ImageFormat;
import dev.isula.toolkit.spi.ImageSource;
import dev.isula.toolkit.spi.Probe;
import dev.isula.toolkit.spi.ReadOptions;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import java.util.function.Consumer;

/**
 * {@code rootfs:PATH}: a root filesystem (tarball in any common compression, a directory, or {@code
 * -} for standard input) read as a one-layer image with a fresh config, the way {@code docker
 * import} makes one. The layer is built while the input is read, in the compression the destination
 * asked for.
 */
@AutoService(ImageFormat.class)
public final class RootfsFormat implements ImageFormat {
  @Override
  public String id() {
    return "rootfs";
  }

  @Override
  public String description() {
    return "a root filesystem: tarball (plain, gzip, zstd, xz, bzip2), directory, or - for stdin";
  }

  @Override
  public String syntax() {
    return "rootfs:PATH|-";
  }

  /** Anything else goes first: this one accepts any tarball. */
  @Override
  public int priority() {
    return -100;
  }

  @Override
  public boolean detect(Probe probe) {
    return false; // a bare tarball is ambiguous; ask for rootfs: explicitly
  }

  @Override
  public ImageSource open(String reference, ReadOptions options)
      throws IsulaException, IOException {
    if (reference.isEmpty()) {
      throw new UsageException("rootfs: missing path (a tarball, a directory, or -)");
    }
    Set<String> rootFiles = new TreeSet<>();
    TempBlob blob =
        RootfsLayers.build(
            reference,
            options.layerCompression(),
            options.threads(),
            options.log(),
            options.progress(),
            rootFiles);
    try {
      warnIfImageArchive(reference, rootFiles, options.log());
      Platform p = options.platform();
      String created = ImageTimes.created();
      ObjectNode c = JsonNodeFactory.instance.objectNode();
      c.put("architecture", p.architecture());
      c.put("os", p.os());
      if (!p.variant().isEmpty()) {
        c.put("variant", p.variant());
      }
      c.put("created", created);
      c.putObject("config");
      ObjectNode rootfs = c.putObject("rootfs");
      rootfs.put("type", "layers");
      rootfs.putArray("diff_ids").add(blob.diffId().toString());
      ArrayNode history = c.putArray("history");
      history.addObject().put("created", created).put("created_by", "isula-toolkit import");
      String source = "rootfs:" + reference;
      Image image =
          Image.builder()
              .source(source)
              .names(List.of())
              .config(Json.compact(c), source + ": config")
              .addLayer(
                  new Layer(
                      0,
                      1,
                      mediaType(blob.compression()),
                      blob.digest(),
                      blob.size(),
                      blob.diffId(),
                      blob.source()))
              .build();
      return new ImageSource() {
        @Override
        public Image image() {
          return image;
        }

        @Override
        public void close() throws IOException {
          blob.close();
        }
      };
    } catch (IsulaException | RuntimeException e) {
      blob.close();
      throw e;
    }
  }

  /**
   * A tarball whose top level is an image archive (a docker-archive's manifest.json, an OCI
   * layout's index.json and oci-layout, as the installed formats recognise them) is imported as the
   * files it holds, as {@code docker import} and {@code isula import} do; but the user most likely
   * meant to read the image: one warning line says so.
   */
  private void warnIfImageArchive(String reference, Set<String> rootFiles, Consumer<String> log)
      throws IOException, IsulaException {
    if (rootFiles.isEmpty()) {
      return;
    }
    List<String> formats = new ArrayList<>();
    try (Probe probe = Probe.ofArchiveFiles(Path.of(reference), rootFiles)) {
      for (ImageFormat f : FormatRegistry.load().formats()) {
        if (!f.id().equals(id()) && f.detect(probe)) {
          formats.add(f.id());
        }
      }
    }
    if (!formats.isEmpty()) {
      log.accept(
          "warning: "
              + (reference.equals("-") ? "standard input" : reference)
              + " is itself an image archive ("
              + String.join(", ", formats)
              + "); imported its files as a root filesystem, as docker import does. To read the"
              + " image, use 'load' (into the store) or 'export' (its flattened root filesystem)");
    }
  }

  static String mediaType(Compression c) {
    return switch (c) {
      case NONE -> MediaTypes.OCI_LAYER;
      case ZSTD -> MediaTypes.OCI_LAYER_ZSTD;
      default -> MediaTypes.OCI_LAYER_GZIP;
    };
  }
}
