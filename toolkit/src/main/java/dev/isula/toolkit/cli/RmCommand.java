package dev.isula.toolkit.cli;

import dev.isula.toolkit.api.UsageException;
import dev.isula.toolkit.store.ImageStore;
import dev.isula.toolkit.store.ImageStores;
import java.io.PrintWriter;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

/** {@code isula rm}: names or images out of the store. */
@Command(
    name = "rm",
    aliases = "rmi",
    mixinStandardHelpOptions = true,
    description = {
      "Remove images from the local store: a name removes that name, an id the image with all its"
          + " names. With --prune, blobs no image uses any more (and leftovers of interrupted"
          + " loads) are deleted too.",
      ""
    },
    footer = {
      "",
      "Examples:",
      "  isula rm busybox:latest",
      "  isula rm --prune 3f5d8c2a1b9e",
      "  isula rm --prune"
    })
final class RmCommand implements Callable<Integer> {
  @Spec CommandSpec spec;

  @Mixin GlobalOptions global;

  @Parameters(arity = "0..*", paramLabel = "IMAGE")
  List<String> images = new ArrayList<>();

  @Option(names = "--prune", description = "Delete unreferenced blobs afterwards.")
  boolean prune;

  @Override
  public Integer call() throws Exception {
    if (images.isEmpty() && !prune) {
      throw new UsageException("give at least one IMAGE, or --prune");
    }
    PrintWriter out = spec.commandLine().getOut();
    ImageStore store = ImageStores.open();
    for (String image : images) {
      for (String removed : store.remove(image)) {
        out.println((removed.startsWith("sha256:") ? "Deleted: " : "Untagged: ") + removed);
      }
    }
    if (prune) {
      ImageStore.PruneResult r = store.prune();
      out.printf(
          "Pruned %d blobs (%s)%s%n",
          r.blobs(),
          ImagesCommand.size(r.bytes()),
          r.leftovers() > 0 ? ", " + r.leftovers() + " leftovers of interrupted writes" : "");
    }
    out.flush();
    return IsulaCli.OK;
  }
}
