package dev.isula.toolkit.cli;

import dev.isula.toolkit.api.UsageException;
import dev.isula.toolkit.compress.Compression;
import dev.isula.toolkit.export.RootfsExporter;
import dev.isula.toolkit.image.Image;
import dev.isula.toolkit.image.ImageName;
import dev.isula.toolkit.image.Platform;
import dev.isula.toolkit.io.AtomicOutputFile;
import dev.isula.toolkit.io.NamedOutputStream;
import dev.isula.toolkit.spi.FormatRegistry;
import dev.isula.toolkit.spi.ImageSource;
import dev.isula.toolkit.spi.ReadOptions;
import java.io.FileDescriptor;
import java.io.FileOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

/** {@code isula export IMAGE OUTPUT}: the image's flattened root filesystem as one tarball. */
@Command(
    name = "export",
    mixinStandardHelpOptions = true,
    description = {
      "Write the root filesystem of an image, with all layers applied and whiteouts resolved, "
          + "as one tarball (like 'docker export', but straight from an image).",
      ""
    },
    footer = {
      "",
      "Examples:",
      "  isula export docker-archive:busybox.tar rootfs.tar",
      "  isula export docker-archive:all.tar:busybox:latest - | tar -tv",
      "  isula export --platform linux/arm64 oci:./layout:v1 rootfs.tar.gz",
      "  isula export docker://registry.example.org/ns/app:1 app-rootfs.tar.zst",
      "  isula export busybox:latest rootfs.tar          (an image of the local store)",
      "",
      "IMAGE is TRANSPORT:REFERENCE (docker-archive:PATH[:NAME:TAG|:@N], oci:DIR[:TAG],",
      "oci-archive:PATH[:TAG], docker://HOST[:PORT]/REPO[:TAG|@DIGEST], store:NAME[:TAG]),",
      "a bare path (detected by content), or the name or id of an image of the local store.",
      "Exit status: 0 on success, 1 on failure (nothing is left at OUTPUT), 2 on bad usage."
    })
final class ExportCommand implements Callable<Integer> {
  @Spec CommandSpec spec;

  @Mixin GlobalOptions global;

  @Parameters(
      index = "0",
      paramLabel = "IMAGE",
      description = "The image to export (- reads an archive from standard input).")
  String image;

  @Parameters(
      index = "1",
      paramLabel = "OUTPUT",
      description = "The tarball to write, or - for standard output.")
  String output;

  @Option(
      names = "--platform",
      paramLabel = "OS/ARCH[/VARIANT]",
      description =
          "Which image of a multi-platform index to export (default: this host's, ${DEFAULT-VALUE}).")
  String platform = Platform.host().toString();

  @Option(
      names = "--compress",
      paramLabel = "none|gzip|zstd|xz",
      description =
          "Compress the output (default: from OUTPUT's extension: .tar.gz/.tgz, .tar.zst, .tar.xz; else none).")
  String compress;

  @Option(
      names = "--split",
      description =
          "Write OUTPUT/empty.tar (the image spec with one empty layer) and the expanded rootfs"
              + " beside it, for 'isula run --external-rootfs'; OUTPUT is a new or empty directory.")
  boolean split;

  @Option(
      names = "--rootfs-format",
      paramLabel = "dir|tar",
      description = "With --split: the rootfs as a directory (default) or as rootfs.tar.")
  String rootfsFormat;

  @Option(
      names = "--tag",
      paramLabel = "NAME[:TAG]",
      description =
          "With --split: the name empty.tar carries instead of the image's own, so that 'isula"
              + " load' of empty.tar does not take the name from the full image already loaded;"
              + " import --rootfs still restores the original name.")
  String tag;

  @Option(
      names = "--threads",
      paramLabel = "N",
      description = "Cores to use (default: all, ${DEFAULT-VALUE}).")
  int threads = Runtime.getRuntime().availableProcessors();

  @Override
  public Integer call() throws Exception {
    PrintWriter err = spec.commandLine().getErr();
    Platform wanted = Platform.parse(platform);
    if (split) {
      return exportSplit(err, wanted);
    }
    if (rootfsFormat != null) {
      throw new UsageException("--rootfs-format only applies with --split");
    }
    if (tag != null) {
      throw new UsageException("--tag only applies with --split");
    }
    boolean toStdout = output.equals("-");
    Compression compression =
        compress != null
            ? Compression.fromId(compress)
            : toStdout ? Compression.NONE : Compression.fromFileName(output);
    if (compression == Compression.BZIP2) {
      throw new UsageException("bzip2 output is not supported; use gzip, zstd or xz");
    }
    if (threads < 1) {
      throw new UsageException("--threads must be at least 1");
    }
    if (toStdout && StandardStreams.stdoutIsTerminal()) {
      throw new UsageException(
          "refusing to write a tarball to a terminal; redirect standard output or give a file");
    }
    Path target = toStdout ? null : Path.of(output);
    if (target != null && Files.isDirectory(target)) {
      throw new UsageException(output + " is a directory; give a file name for the tarball");
    }
    FormatRegistry registry = FormatRegistry.load();
    long start = System.nanoTime();
    try (SpooledInput in = SpooledInput.of(image, "export");
        ImageSource source = registry.open(in.reference(), readOptions(wanted, err));
        ProgressDisplay progress =
            ProgressDisplay.start(
                "export", ProgressDisplay.size(source.image()), err, global.quiet)) {
      Image img = progress.track(source.image());
      RootfsExporter exporter =
          RootfsExporter.create(compression, threads, Progress.lines(err, global.quiet));
      long entries;
      if (toStdout) {
        OutputStream stdout = new FileOutputStream(FileDescriptor.out);
        entries = exporter.exportTo(img, stdout);
        stdout.flush();
      } else {
        // as exporter.exportTo(img, target), with write errors naming the file
        try (AtomicOutputFile out = AtomicOutputFile.create(target)) {
          entries = exporter.exportTo(img, NamedOutputStream.of(out.stream(), target), out::rewind);
          try {
            out.commit();
          } catch (IOException e) {
            throw NamedOutputStream.named(e, target);
          }
        }
      }
      if (!global.quiet) {
        double secs = (System.nanoTime() - start) / 1e9;
        err.printf(
            "exported %s: %d layers, %d entries%s in %.1fs%n",
            img.source(), img.layers().size(), entries, toStdout ? "" : " to " + output, secs);
        err.flush();
      }
    }
    return IsulaCli.OK;
  }

  /** The platform, and a log so that sources can warn (a layer read in a degraded way). */
  private ReadOptions readOptions(Platform wanted, PrintWriter err) {
    return ReadOptions.builder().platform(wanted).log(Progress.lines(err, global.quiet)).build();
  }

  private int exportSplit(PrintWriter err, Platform wanted) throws Exception {
    if (output.equals("-")) {
      throw new UsageException("--split writes a directory; OUTPUT cannot be -");
    }
    if (compress != null) {
      throw new UsageException("--compress does not apply with --split");
    }
    java.util.function.Consumer<String> log = Progress.lines(err, global.quiet);
    String format = rootfsFormat == null ? "dir" : rootfsFormat;
    if (!format.equals("dir") && !format.equals("tar")) {
      throw new UsageException("--rootfs-format must be dir or tar");
    }
    if (tag != null && (!ImageName.isValid(tag) || tag.contains("@"))) {
      throw new UsageException(
          "--tag: invalid image name '"
              + tag
              + "' (expected [HOST[:PORT]/]PATH[:TAG], lowercase, no digest)");
    }
    dev.isula.toolkit.spi.WriteOptions.Builder write =
        dev.isula.toolkit.spi.WriteOptions.builder()
            .threads(threads)
            .log(log)
            .property("rootfs-format", format);
    if (tag != null) {
      write.property("tag", tag);
    }
    FormatRegistry registry = FormatRegistry.load();
    long start = System.nanoTime();
    try (SpooledInput in = SpooledInput.of(image, "export");
        ImageSource source = registry.open(in.reference(), readOptions(wanted, err));
        ProgressDisplay progress =
            ProgressDisplay.start(
                "export --split", ProgressDisplay.size(source.image()), err, global.quiet);
        dev.isula.toolkit.spi.ImageSink sink =
            registry.openSink("split:" + output, write.build())) {
      Image img = progress.track(source.image());
      sink.write(img);
      if (!global.quiet) {
        err.printf(
            "split %s into %s/empty.tar and %s/%s in %.1fs%n",
            img.source(),
            output,
            output,
            format.equals("dir") ? "rootfs/" : "rootfs.tar",
            (System.nanoTime() - start) / 1e9);
        err.flush();
      }
    }
    return IsulaCli.OK;
  }
}
