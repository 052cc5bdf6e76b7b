package dev.isula.toolkit.cli;

import dev.isula.toolkit.api.IsulaException;
import dev.isula.toolkit.spi.RegistryLogin;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

/** {@code isula logout HOST}: forget the stored credentials for a registry. */
@Command(
    name = "logout",
    mixinStandardHelpOptions = true,
    description = "Remove the stored credentials for a container registry.",
    footer = {
      "",
      "Removes the registry's entry from every credentials file isula reads (--authfile alone"
          + " when given).",
      "",
      "Exit status: 0 on success, 1 if no credentials were stored for HOST, 2 on bad usage."
    })
final class LogoutCommand implements Callable<Integer> {
  @Spec CommandSpec spec;

  @Mixin GlobalOptions global;

  @Parameters(index = "0", paramLabel = "HOST[:PORT]", description = "The registry.")
  String host;

  @Override
  public Integer call() throws Exception {
    PrintWriter out = spec.commandLine().getOut();
    List<Path> files = RegistryLogin.load().logout(host);
    if (files.isEmpty()) {
      throw new IsulaException("not logged in to " + host);
    }
    out.println("Removed login credentials for " + host);
    out.flush();
    return IsulaCli.OK;
  }
}
