package dev.isula.toolkit.cli;

import dev.isula.toolkit.compress.Compression;
import dev.isula.toolkit.image.Platform;
import dev.isula.toolkit.spi.FormatRegistry;
import dev.isula.toolkit.spi.ImageSink;
import dev.isula.toolkit.spi.ImageSource;
import dev.isula.toolkit.spi.ReadOptions;
import dev.isula.toolkit.spi.WriteOptions;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

/** {@code isula convert}: copy an image between any two transports, like {@code skopeo copy}. */
@Command(
    name = "convert",
    aliases = "copy",
    mixinStandardHelpOptions = true,
    description =
        "Copy an image from any readable transport to any writable one. Layers already in the"
            + " destination's compression are copied unchanged, so digests are kept when nothing"
            + " has to change.",
    footer = {
      "",
      "Examples:",
      "  isula convert oci:layout:v1 docker-archive:app.tar:app:1",
      "  isula convert docker-archive:app.tar oci-archive:app-oci.tar:v1 --compress zstd",
      "  isula convert busybox:latest oci:layout:busybox      # from the local store",
      "",
      "Exit status: 0 on success, 1 on failure (the destination is left as it was), 2 on bad usage."
    })
final class ConvertCommand implements Callable<Integer> {
  @Spec CommandSpec spec;

  @Mixin GlobalOptions global;

  @Parameters(
      index = "0",
      paramLabel = "SOURCE",
      description = "The image to copy (- reads an archive from standard input).")
  String source;

  @Parameters(index = "1", paramLabel = "DESTINATION")
  String destination;

  @Option(
      names = "--compress",
      paramLabel = "keep|gzip|zstd|none",
      description =
          "Layer compression (default: keep each layer's; docker-archive stores plain tar).")
  String compress = "keep";

  @Option(
      names = "--platform",
      paramLabel = "OS/ARCH[/VARIANT]",
      description = "From a multi-platform source (default: ${DEFAULT-VALUE}).")
  String platform = Platform.host().toString();

  @Option(names = "--threads", paramLabel = "N", description = "Cores to use (default: all).")
  int threads = Runtime.getRuntime().availableProcessors();

  @Override
  public Integer call() throws Exception {
    Compression c = compress.equals("keep") ? null : Compression.fromId(compress);
    var err = spec.commandLine().getErr();
    var log = Progress.lines(err, global.quiet);
    FormatRegistry registry = FormatRegistry.load();
    long start = System.nanoTime();
    try (SpooledInput in = SpooledInput.of(source, "convert");
        ImageSource s =
            registry.open(
                in.reference(),
                ReadOptions.builder()
                    .platform(Platform.parse(platform))
                    .threads(threads)
                    .log(log)
                    .build());
        ImageSink sink =
            registry.openSink(
                destination,
                WriteOptions.builder().compression(c).threads(threads).log(log).build())) {
      try (ProgressDisplay progress =
          ProgressDisplay.start("convert", ProgressDisplay.size(s.image()), err, global.quiet)) {
        sink.write(progress.track(s.image()));
      }
      log.accept(
          String.format(
              "copied %s to %s in %.1fs",
              s.image().source(), destination, (System.nanoTime() - start) / 1e9));
    }
    return IsulaCli.OK;
  }
}
