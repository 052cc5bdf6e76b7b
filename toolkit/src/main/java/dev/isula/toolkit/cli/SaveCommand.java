package dev.isula.toolkit.cli;

import dev.isula.toolkit.api.UsageException;
import dev.isula.toolkit.image.Image;
import dev.isula.toolkit.image.ImageName;
import dev.isula.toolkit.image.Platform;
import dev.isula.toolkit.io.TempFiles;
import dev.isula.toolkit.spi.FormatRegistry;
import dev.isula.toolkit.spi.ImageSink;
import dev.isula.toolkit.spi.ImageSource;
import dev.isula.toolkit.spi.ReadOptions;
import dev.isula.toolkit.spi.WriteOptions;
import java.io.FileDescriptor;
import java.io.FileOutputStream;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

/** {@code isula save}: images into one archive. */
@Command(
    name = "save",
    mixinStandardHelpOptions = true,
    description = "Save images into one archive (layers shared by several images are stored once).",
    footer = {
      "",
      "Examples:",
      "  isula save busybox:latest alpine:3.19 -o images.tar",
      "  isula save app:1 --format oci-archive -o app-oci.tar",
      "  isula save app:1 | ssh host isula load      (no -o: standard output)",
      "",
      "Exit status: 0 on success, 1 on failure (nothing is left at PATH), 2 on bad usage."
    })
final class SaveCommand implements Callable<Integer> {
  @Spec CommandSpec spec;

  @Mixin GlobalOptions global;

  @Parameters(
      arity = "1..*",
      paramLabel = "IMAGE",
      description = "Images (names in the store, or any reference).")
  List<String> images;

  @Option(
      names = {"-o", "--output"},
      paramLabel = "PATH",
      description =
          "The archive (or, for --format oci, the layout directory) to write; or a registry"
              + " reference, docker://HOST[:PORT]/REPO:TAG, for one image. Default, or -:"
              + " standard output (not a terminal).")
  String output = "-";

  @Option(
      names = "--format",
      paramLabel = "docker-archive|oci-archive|oci",
      description = "Archive format (default: ${DEFAULT-VALUE}).")
  String format = "docker-archive";

  @Option(
      names = "--platform",
      paramLabel = "OS/ARCH[/VARIANT]",
      description = "For multi-platform sources (default: ${DEFAULT-VALUE}).")
  String platform = Platform.host().toString();

  @Override
  public Integer call() throws Exception {
    if (!List.of("docker-archive", "oci-archive", "oci").contains(format)) {
      throw new UsageException("--format must be docker-archive, oci-archive or oci");
    }
    boolean toStdout = output.equals("-");
    if (toStdout && format.equals("oci")) {
      throw new UsageException("--format oci writes a directory; give it with -o DIR");
    }
    if (toStdout && StandardStreams.stdoutIsTerminal()) {
      throw new UsageException(
          "refusing to write an archive to a terminal; redirect standard output or use -o PATH");
    }
    var err = spec.commandLine().getErr();
    var log = Progress.lines(err, global.quiet);
    FormatRegistry registry = FormatRegistry.load();
    // standard output: the archive is written to a scratch file first (writers need to seek and
    // rename), then copied out
    Path scratch =
        toStdout ? Files.createTempDirectory(TempFiles.directory(), "isula-save-") : null;
    String path = toStdout ? scratch.resolve("archive.tar").toString() : output;
    ReadOptions read = ReadOptions.builder().platform(Platform.parse(platform)).log(log).build();
    List<ImageSource> sources = new ArrayList<>();
    try {
      List<Image> toSave = new ArrayList<>();
      for (String ref : images) {
        ImageSource s = registry.open(ref, read);
        sources.add(s);
        Image image = s.image();
        // a name given on the command line is the one saved; an id saves the image's own names
        if (ImageName.isValid(ref) && !ref.matches("(sha256:)?[0-9a-f]{3,64}")) {
          image = image.withNames(List.of(ref));
        }
        toSave.add(image);
      }
      try (ImageSink sink =
          registry.openSink(
              // a registry reference (docker://HOST/REPO:TAG) names its own transport
              path.contains("://") ? path : format + ":" + path,
              WriteOptions.builder().log(log).build())) {
        long total = 0;
        for (Image i : toSave) {
          total += ProgressDisplay.size(i);
        }
        try (ProgressDisplay progress = ProgressDisplay.start("save", total, err, global.quiet)) {
          List<Image> tracked = new ArrayList<>();
          for (Image i : toSave) {
            tracked.add(progress.track(i));
          }
          sink.writeAll(tracked);
        }
      }
      if (toStdout) {
        OutputStream stdout = new FileOutputStream(FileDescriptor.out);
        Files.copy(Path.of(path), stdout);
        stdout.flush();
      }
    } finally {
      for (ImageSource s : sources) {
        s.close();
      }
      if (scratch != null) {
        Files.deleteIfExists(Path.of(path));
        Files.deleteIfExists(scratch);
      }
    }
    return IsulaCli.OK;
  }
}
