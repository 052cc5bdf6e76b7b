package dev.isula.golden.fuzz;

import com.code_intelligence.jazzer.junit.FuzzTest;
import dev.isula.toolkit.compress.Compression;
import dev.isula.toolkit.flatten.LayerFlattener;
import dev.isula.toolkit.hash.Digest;
import dev.isula.toolkit.image.Layer;
import dev.isula.toolkit.image.MediaTypes;
import dev.isula.toolkit.rootfs.DirectoryRootfsWriter;
import dev.isula.toolkit.tar.TarWriter;
import java.io.ByteArrayInputStream;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * The flattener on 1 to 3 arbitrary layer tars (the input split at {@link #LAYER_BREAK}; digests
 * are computed so verification passes and the rules are what is tested), written into a tar and
 * extracted into a directory. The extraction must never write beside its target directory.
 */
class FlattenFuzzTest {
  /** Separates the layers in a fuzz input. */
  static final byte[] LAYER_BREAK = "\n--isula-layer-break--\n".getBytes(StandardCharsets.US_ASCII);

  @FuzzTest(maxDuration = "2m")
  void flatten(byte[] data) throws Exception {
    List<Layer> layers = layers(data);
    FuzzSupport.declared(
        () -> {
          TarWriter tar = new TarWriter(OutputStream.nullOutputStream());
          LayerFlattener.create(1, null).flatten(layers, tar);
        });
    Path base = FuzzSupport.freshDirectory("flatten");
    Path target = Files.createDirectory(base.resolve("target"));
    try {
      FuzzSupport.declared(
          () -> {
            DirectoryRootfsWriter dir = DirectoryRootfsWriter.create(target, false, s -> {});
            LayerFlattener.create(1, null).flatten(layers, dir);
          });
      FuzzSupport.nothingBeside(base, List.of("target"));
    } finally {
      dev.isula.toolkit.io.Trees.deleteRecursively(base);
    }
  }

  static List<Layer> layers(byte[] data) {
    List<byte[]> tars = FuzzSupport.split(data, LAYER_BREAK, 3);
    List<Layer> layers = new ArrayList<>();
    for (int i = 0; i < tars.size(); i++) {
      byte[] tar = tars.get(i);
      Digest d = Digest.sha256(tar);
      layers.add(
          new Layer(
              i,
              tars.size(),
              MediaTypes.OCI_LAYER,
              d,
              tar.length,
              d,
              () -> new ByteArrayInputStream(tar)));
    }
    return layers;
  }

  static {
    Compression.values(); // load early: keeps class loading out of the first timed iteration
  }
}
