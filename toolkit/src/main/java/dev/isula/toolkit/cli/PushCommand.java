package dev.isula.toolkit.cli;

import dev.isula.toolkit.api.UsageException;
import dev.isula.toolkit.compress.Compression;
import dev.isula.toolkit.image.ImageName;
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

/** {@code isula push IMAGE [DESTINATION]}: {@code convert} to a registry, with short names. */
@Command(
    name = "push",
    mixinStandardHelpOptions = true,
    description =
        "Push an image (of the local store, or any reference) to a container registry. The same"
            + " as 'isula convert IMAGE docker://DESTINATION'.",
    footer = {
      "",
      "DESTINATION is docker://HOST[:PORT]/REPO[:TAG], or the same without docker://; without it"
          + " the image goes to the registry its name names (127.0.0.1:5000/app:1).",
      "",
      "Examples:",
      "  isula push 127.0.0.1:5000/app:1",
      "  isula push app:1 registry.example.org/team/app:1",
      "  isula push --tls-verify=false oci:layout:v1 docker://127.0.0.1:5000/app:v1",
      "",
      "Exit status: 0 on success, 1 on failure (the tag is left as it was), 2 on bad usage."
    })
final class PushCommand implements Callable<Integer> {
  @Spec CommandSpec spec;

  @Mixin GlobalOptions global;

  @Parameters(index = "0", paramLabel = "IMAGE", description = "The image to push.")
  String source;

  @Parameters(
      index = "1",
      arity = "0..1",
      paramLabel = "DESTINATION",
      description = "Where to (default: IMAGE's own name).")
  String destination;

  @Option(
      names = "--compress",
      paramLabel = "keep|gzip|zstd|none",
      description = "Layer compression (default: keep each layer's).")
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
    FormatRegistry registry = FormatRegistry.load();
    String target = registryReference(registry, destination != null ? destination : source);
    Compression c = compress.equals("keep") ? null : Compression.fromId(compress);
    var log = Progress.to(spec.commandLine().getErr(), global.quiet);
    long start = System.nanoTime();
    try (ImageSource s =
            registry.open(
                source,
                ReadOptions.builder()
                    .platform(Platform.parse(platform))
                    .threads(threads)
                    .log(log)
                    .build());
        ImageSink sink =
            registry.openSink(
                target, WriteOptions.builder().compression(c).threads(threads).log(log).build())) {
      sink.write(s.image());
      log.accept(
          String.format(
              "pushed %s to %s in %.1fs",
              s.image().source(), target, (System.nanoTime() - start) / 1e9));
    }
    return IsulaCli.OK;
  }

  /** {@code docker://} + {@code name} unless it names a transport already. */
  static String registryReference(FormatRegistry registry, String name) throws UsageException {
    int colon = name.indexOf(':');
    if (name.contains("://")
        || (colon > 0 && registry.find(name.substring(0, colon)).isPresent())) {
      return name;
    }
    if (!ImageName.isValid(name)) {
      throw new UsageException(
          "'" + name + "' is not a registry reference (HOST[:PORT]/REPO[:TAG])");
    }
    return "docker://" + name;
  }
}
