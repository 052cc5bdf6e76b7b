package dev.isula.toolkit.cli;

import dev.isula.toolkit.image.Image;
import dev.isula.toolkit.image.Platform;
import dev.isula.toolkit.spi.FormatRegistry;
import dev.isula.toolkit.spi.ImageSource;
import dev.isula.toolkit.spi.ReadOptions;
import dev.isula.toolkit.spi.WriteOptions;
import dev.isula.toolkit.store.ImageStore;
import dev.isula.toolkit.store.ImageStores;
import dev.isula.toolkit.store.StoredImage;
import java.io.PrintWriter;
import java.util.List;
import java.util.concurrent.Callable;
import java.util.function.Consumer;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/** {@code isula load}: every image of an archive into the local store. */
@Command(
    name = "load",
    mixinStandardHelpOptions = true,
    description =
        "Load every image of an archive (docker-archive, oci-archive, OCI layout) into the local store.",
    footer = {
      "",
      "Examples:",
      "  isula load -i busybox.tar",
      "  docker save busybox | isula load",
      "  isula load -i oci-archive:app.tar",
      "",
      "Prints 'Loaded image: NAME' per name (or 'Loaded image ID: sha256:...' for an unnamed image).",
      "Exit status: 0 on success, 1 on failure (the store keeps what it had), 2 on bad usage."
    })
final class LoadCommand implements Callable<Integer> {
  @Spec CommandSpec spec;

  @Mixin GlobalOptions global;

  @Option(
      names = {"-i", "--input"},
      paramLabel = "ARCHIVE",
      description = "The archive (TRANSPORT:PATH or a path detected by content); - or none: stdin.")
  String input = "-";

  @Option(
      names = "--platform",
      paramLabel = "OS/ARCH[/VARIANT]",
      description = "From a multi-platform index, which image to load (default: ${DEFAULT-VALUE}).")
  String platform = Platform.host().toString();

  @Override
  public Integer call() throws Exception {
    PrintWriter out = spec.commandLine().getOut();
    PrintWriter err = spec.commandLine().getErr();
    Consumer<String> log = Progress.lines(err, global.quiet);
    try (SpooledInput spooled = SpooledInput.of(input, "load")) {
      FormatRegistry registry = FormatRegistry.load();
      FormatRegistry.ParsedReference parsed = registry.parse(spooled.reference());
      ImageStore store = ImageStores.open();
      ReadOptions read = ReadOptions.builder().platform(Platform.parse(platform)).log(log).build();
      WriteOptions write = WriteOptions.builder().log(log).build();
      for (String one : parsed.format().list(parsed.rest())) {
        try (ImageSource source = parsed.format().open(one, read)) {
          Image image = source.image();
          // a layout's bare ref name (oci:DIR:v3) names nothing when copied, but, as in podman
          // load, the image it tags is loaded under it
          List<String> names =
              image.names().isEmpty() && image.layoutTag() != null
                  ? List.of(image.layoutTag())
                  : image.names();
          for (String name : names) {
            // names come from the archive here, not from the command line: bad input, not usage
            if (!dev.isula.toolkit.image.ImageName.isValid(name)) {
              throw new dev.isula.toolkit.api.InvalidImageException(
                  image.source()
                      + ": invalid image name '"
                      + dev.isula.toolkit.tar.TarReader.printable(name)
                      + "' in the archive");
            }
          }
          StoredImage stored = store.put(image, names, write);
          if (names.isEmpty()) {
            out.println("Loaded image ID: " + stored.id());
          }
          for (String name : stored.names()) {
            if (names.stream().anyMatch(n -> dev.isula.toolkit.image.ImageName.same(n, name))) {
              out.println("Loaded image: " + name);
            }
          }
          out.flush();
        }
      }
    }
    return IsulaCli.OK;
  }
}
