package dev.isula.toolkit.cli;

import dev.isula.toolkit.image.Image;
import dev.isula.toolkit.image.Platform;
import dev.isula.toolkit.spi.FormatRegistry;
import dev.isula.toolkit.spi.ImageSource;
import dev.isula.toolkit.spi.ReadOptions;
import dev.isula.toolkit.spi.WriteOptions;
import dev.isula.toolkit.store.ImageStores;
import dev.isula.toolkit.store.StoredImage;
import java.io.PrintWriter;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

/** {@code isula pull SOURCE [NAME]}: an image from a registry into the local store. */
@Command(
    name = "pull",
    mixinStandardHelpOptions = true,
    description =
        "Copy an image from a container registry into the local store. The same as 'isula load"
            + " -i docker://SOURCE', or 'isula convert docker://SOURCE store:NAME'.",
    footer = {
      "",
      "SOURCE is docker://HOST[:PORT]/REPO[:TAG|@DIGEST], or the same without docker://.",
      "Prints the image id.",
      "",
      "Examples:",
      "  isula pull 127.0.0.1:5000/app:1",
      "  isula pull --platform linux/arm64 docker://registry.example.org/app:1 app:arm64",
      "",
      "Exit status: 0 on success, 1 on failure (the store keeps what it had), 2 on bad usage."
    })
final class PullCommand implements Callable<Integer> {
  @Spec CommandSpec spec;

  @Mixin GlobalOptions global;

  @Parameters(index = "0", paramLabel = "SOURCE", description = "The image to pull.")
  String source;

  @Parameters(
      index = "1",
      arity = "0..1",
      paramLabel = "NAME",
      description = "The name in the store (default: HOST[:PORT]/REPO:TAG of SOURCE).")
  String name;

  @Option(
      names = "--platform",
      paramLabel = "OS/ARCH[/VARIANT]",
      description = "From a multi-platform index, which image (default: ${DEFAULT-VALUE}).")
  String platform = Platform.host().toString();

  @Option(names = "--threads", paramLabel = "N", description = "Cores to use (default: all).")
  int threads = Runtime.getRuntime().availableProcessors();

  @Override
  public Integer call() throws Exception {
    PrintWriter out = spec.commandLine().getOut();
    var log = Progress.to(spec.commandLine().getErr(), global.quiet);
    FormatRegistry registry = FormatRegistry.load();
    String ref = PushCommand.registryReference(registry, source);
    long start = System.nanoTime();
    try (ImageSource s =
        registry.open(
            ref,
            ReadOptions.builder()
                .platform(Platform.parse(platform))
                .threads(threads)
                .log(log)
                .build())) {
      Image image = s.image();
      List<String> names = name != null ? List.of(name) : image.names();
      StoredImage stored =
          ImageStores.open()
              .put(image, names, WriteOptions.builder().threads(threads).log(log).build());
      log.accept(
          String.format(
              "pulled %s as %s in %.1fs",
              ref,
              names.isEmpty() ? stored.id() : String.join(", ", names),
              (System.nanoTime() - start) / 1e9));
      out.println(stored.id());
      out.flush();
    }
    return IsulaCli.OK;
  }
}
