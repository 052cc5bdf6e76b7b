package dev.isula.toolkit.cli;

import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.isula.toolkit.api.UsageException;
import dev.isula.toolkit.compress.Compression;
import dev.isula.toolkit.image.ConfigEditor;
import dev.isula.toolkit.image.CreatedDates;
import dev.isula.toolkit.image.Image;
import dev.isula.toolkit.image.Platform;
import dev.isula.toolkit.json.Json;
import dev.isula.toolkit.spi.FormatRegistry;
import dev.isula.toolkit.spi.ImageSink;
import dev.isula.toolkit.spi.ImageSource;
import dev.isula.toolkit.spi.ReadOptions;
import dev.isula.toolkit.spi.WriteOptions;
import java.io.PrintWriter;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import java.util.function.Consumer;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

/** {@code isula import}: a rootfs (or an empty.tar + rootfs pair) becomes an image again. */
@Command(
    name = "import",
    mixinStandardHelpOptions = true,
    description = {
      "Make an image from a root filesystem, like 'docker import': one layer, a fresh config.",
      "With --rootfs, put back an image that 'export --split' split into EMPTY.tar and a rootfs:"
          + " its original config (Env, Cmd, Entrypoint, ...) with the rootfs as its layer.",
      ""
    },
    footer = {
      "",
      "ROOTFS is a tarball (plain, gzip, zstd, xz or bzip2), a directory, or - for stdin.",
      "TARGET is docker-archive:PATH[:NAME:TAG], oci:DIR[:TAG] or oci-archive:PATH[:TAG];",
      "REFERENCE names the image where TARGET does not.",
      "",
      "Examples:",
      "  isula import rootfs.tar.gz myapp:1.0 -o docker-archive:myapp.tar",
      "  tar -C dir -c . | isula import - -c 'CMD [\"/bin/app\"]' -o oci:layout:v1",
      "  isula import --rootfs out/rootfs out/empty.tar -o docker-archive:restored.tar",
      "",
      "The image id (sha256 of the config) is printed on stdout.",
      "Exit status: 0 on success, 1 on failure (the target is left as it was), 2 on bad usage."
    })
final class ImportCommand implements Callable<Integer> {
  @Spec CommandSpec spec;

  @Mixin GlobalOptions global;

  @Parameters(
      index = "0",
      paramLabel = "ROOTFS|EMPTY.tar",
      description = "The rootfs to import; with --rootfs, the empty.tar written by export --split.")
  String input;

  @Parameters(
      index = "1",
      arity = "0..1",
      paramLabel = "REFERENCE",
      description = "Name for the image (NAME[:TAG]) where TARGET has none.")
  String reference;

  @Option(
      names = "--rootfs",
      paramLabel = "ROOTFS",
      description = "Rebuild the image split by export --split from this rootfs and EMPTY.tar.")
  String rootfs;

  @Option(
      names = {"-o", "--output"},
      paramLabel = "TARGET",
      description = "Where to write the image (default: the local store, named REFERENCE).")
  String target;

  @Option(
      names = {"-m", "--message"},
      description = "Comment for the new layer's history entry.")
  String message;

  @Option(
      names = {"-c", "--change"},
      paramLabel = "INSTRUCTION",
      description =
          "Apply a Dockerfile instruction to the config: CMD, ENTRYPOINT, ENV, EXPOSE, LABEL,"
              + " STOPSIGNAL, USER, VOLUME, WORKDIR (repeatable).")
  List<String> changes = new ArrayList<>();

  @Option(
      names = "--platform",
      paramLabel = "OS/ARCH[/VARIANT]",
      description = "Platform recorded in a new config (default: this host's, ${DEFAULT-VALUE}).")
  String platform = Platform.host().toString();

  @Option(
      names = "--compress",
      paramLabel = "gzip|zstd|none",
      description =
          "Layer compression (default: ${DEFAULT-VALUE}; docker-archive stores plain tar).")
  String compress = "gzip";

  @Option(
      names = "--no-verify",
      description =
          "With --rootfs: import even if the rootfs is not the one EMPTY.tar was split from.")
  boolean noVerify;

  @Option(
      names = "--threads",
      paramLabel = "N",
      description = "Cores to use (default: all, ${DEFAULT-VALUE}).")
  int threads = Runtime.getRuntime().availableProcessors();

  @Override
  public Integer call() throws Exception {
    PrintWriter err = spec.commandLine().getErr();
    Compression compression = Compression.fromId(compress);
    if (compression == Compression.BZIP2 || compression == Compression.XZ) {
      throw new UsageException(
          "layers can be compressed with gzip or zstd, or stored plain (none)");
    }
    if (noVerify && rootfs == null) {
      throw new UsageException("--no-verify only applies with --rootfs");
    }
    if (reference != null && !dev.isula.toolkit.image.ImageName.isValid(reference)) {
      // checked before the (possibly long) read of the rootfs
      throw new UsageException(
          "invalid image name '"
              + reference
              + "' (expected [HOST[:PORT]/]PATH[:TAG], lowercase, e.g. example.org/ns/app:1)");
    }
    Platform wanted = Platform.parse(platform);
    Consumer<String> log = Progress.lines(err, global.quiet);
    FormatRegistry registry = FormatRegistry.load();
    WriteOptions writeOptions =
        WriteOptions.builder()
            .compression(compression)
            .name(reference)
            .threads(threads)
            .log(log)
            .build();
    long start = System.nanoTime();
    if (target == null) {
      target = "store:";
    }
    // progress: the bytes of the rootfs tarball read (a directory or stdin has no known total)
    String rootfsInput = rootfs == null ? input : rootfs;
    java.nio.file.Path rootfsPath =
        rootfsInput.equals("-") ? null : java.nio.file.Path.of(rootfsInput);
    long total =
        rootfsPath != null && java.nio.file.Files.isRegularFile(rootfsPath)
            ? java.nio.file.Files.size(rootfsPath)
            : 0;
    try (ImageSink sink = registry.openSink(target, writeOptions);
        ProgressDisplay progress = ProgressDisplay.start("import", total, err, global.quiet)) {
      ReadOptions.Builder read =
          ReadOptions.builder()
              .platform(wanted)
              .layerCompression(sink.layerCompression(compression))
              .threads(threads)
              .log(log)
              .progress(progress::advance);
      ImageSource source;
      if (rootfs == null) {
        source = registry.require("rootfs").open(input, read.build());
      } else {
        read.property("rootfs", rootfs).property("no-verify", Boolean.toString(noVerify));
        source = registry.require("split").open(input, read.build());
      }
      try (source) {
        Image image = source.image();
        if (!changes.isEmpty() || message != null) {
          ObjectNode config = image.config().deepCopy();
          ConfigEditor.apply(config, changes);
          if (message != null) {
            ConfigEditor.setMessage(config, message);
          }
          image = image.withConfig(Json.compact(config));
        }
        ObjectNode dated = image.config().deepCopy();
        if (CreatedDates.fill(dated, log)) {
          image = image.withConfig(Json.compact(dated));
        }
        sink.write(image);
        spec.commandLine().getOut().println(image.configDigest());
        spec.commandLine().getOut().flush();
        if (!global.quiet) {
          err.printf(
              "imported %s to %s in %.1fs%n",
              rootfs == null ? input : rootfs + " + " + input,
              target,
              (System.nanoTime() - start) / 1e9);
          err.flush();
        }
      }
    }
    return IsulaCli.OK;
  }
}
