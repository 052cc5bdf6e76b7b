package dev.isula.toolkit.cli;

import dev.isula.toolkit.store.ImageStores;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Parameters;

/** {@code isula tag}: another name for a stored image. */
@Command(
    name = "tag",
    mixinStandardHelpOptions = true,
    description = "Give an image of the local store another name (the name moves if it was taken).",
    footer = {"", "Example:", "  isula tag busybox:latest example.org/ns/busybox:1.36"})
final class TagCommand implements Callable<Integer> {
  @Mixin GlobalOptions global;

  @Parameters(index = "0", paramLabel = "SOURCE", description = "Name or id of a stored image.")
  String source;

  @Parameters(index = "1", paramLabel = "TARGET", description = "The new name.")
  String target;

  @Override
  public Integer call() throws Exception {
    ImageStores.open().tag(source, target);
    return IsulaCli.OK;
  }
}
