///usr/bin/env jbang "$0" "$@" ; exit $?
//JAVA 17+
//DEPS dev.isula:isula-toolkit:0.1.0-SNAPSHOT
//DEPS dev.isula:isula-format-docker-archive:0.1.0-SNAPSHOT
//DEPS dev.isula:isula-format-oci:0.1.0-SNAPSHOT

import dev.isula.toolkit.export.RootfsExporter;
import dev.isula.toolkit.spi.FormatRegistry;
import dev.isula.toolkit.spi.ReadOptions;
import dev.isula.toolkit.spi.WriteOptions;
import java.nio.file.Path;

/** Converts an image and flattens it, with the library: ConvertImage SOURCE DESTINATION ROOTFS.tar */
class ConvertImage {
  public static void main(String... args) throws Exception {
    var formats = FormatRegistry.load();
    try (var source = formats.open(args[0], ReadOptions.defaults());
        var target = formats.openSink(args[1], WriteOptions.builder().build())) {
      target.write(source.image()); // copy, keeping layer digests where nothing changes
      RootfsExporter.create().exportTo(source.image(), Path.of(args[2])); // flatten
    }
  }
}
