package dev.isula.toolkit.cli;

import dev.isula.toolkit.check.LoaderChecks;
import dev.isula.toolkit.image.Platform;
import dev.isula.toolkit.spi.LoaderRules;
import dev.isula.toolkit.spi.ReadOptions;
import java.io.PrintWriter;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

/** {@code isula check [--for LOADER] ARCHIVE|IMAGE}: would this loader accept the archive? */
@Command(
    name = "check",
    mixinStandardHelpOptions = true,
    description = {
      "Check an archive against the rules an image loader applies before it accepts it"
          + " (isula load by default, docker load, podman load). Prints one line per rule:"
          + " PASS, FAIL or SKIP (not checkable after an earlier failure), the rule, the detail.",
      ""
    },
    footer = {
      "",
      "ARCHIVE is a docker-archive (what 'load' reads, e.g. the empty.tar of 'export --split');",
      "IMAGE is any other image reference, checked as 'save' would write it for the loader.",
      "",
      "Examples:",
      "  isula check out/empty.tar",
      "  isula check --for docker app.tar",
      "",
      "Exit status: 0 when every rule passes, 1 when one fails (or the input cannot be read),"
          + " 2 on bad usage."
    })
final class CheckCommand implements Callable<Integer> {
  @Spec CommandSpec spec;

  @Mixin GlobalOptions global;

  @Parameters(index = "0", paramLabel = "ARCHIVE|IMAGE", description = "What to check.")
  String image;

  @Option(
      names = "--for",
      paramLabel = "LOADER",
      description = "Whose rules: isulad (default), docker (docker load, 20.10) or podman.")
  String loader = "isulad";

  @Option(
      names = "--platform",
      paramLabel = "OS/ARCH[/VARIANT]",
      description = "For an IMAGE with several platforms: which one (default: this host's).")
  String platform = Platform.host().toString();

  @Override
  public Integer call() throws Exception {
    LoaderRules rules = LoaderChecks.load().require(loader);
    PrintWriter out = spec.commandLine().getOut();
    PrintWriter err = spec.commandLine().getErr();
    List<LoaderRules.Result> results =
        rules.check(
            image,
            ReadOptions.builder()
                .platform(Platform.parse(platform))
                .log(Progress.to(err, global.quiet))
                .build());
    int width = 0;
    for (LoaderRules.Result r : results) {
      width = Math.max(width, r.rule().length());
    }
    boolean failed = false;
    for (LoaderRules.Result r : results) {
      out.printf("%-4s %-" + width + "s  %s%n", r.status(), r.rule(), r.detail());
      failed |= r.status() == LoaderRules.Status.FAIL;
    }
    out.flush();
    if (!global.quiet) {
      err.printf(
          "%s: %s by the rules of %s%n",
          image, failed ? "would be refused" : "passes", rules.description());
      err.flush();
    }
    return failed ? IsulaCli.FAILURE : IsulaCli.OK;
  }
}
