package dev.isula.toolkit.cli;

import dev.isula.toolkit.api.UsageException;
import dev.isula.toolkit.spi.RegistryLogin;
import java.io.BufferedReader;
import java.io.Console;
import java.io.InputStreamReader;
import java.io.PrintWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

/** {@code isula login HOST}: check and store credentials for a registry. */
@Command(
    name = "login",
    mixinStandardHelpOptions = true,
    description = {
      "Log in to a container registry: check the credentials with the registry, then store them"
          + " for docker:// references to that registry.",
      ""
    },
    footer = {
      "",
      "Credentials go to --authfile or $REGISTRY_AUTH_FILE when given, else to"
          + " $XDG_RUNTIME_DIR/containers/auth.json (podman's file), or to ~/.docker/config.json"
          + " when only that one exists or XDG_RUNTIME_DIR is not set.",
      "",
      "Examples:",
      "  isula login -u alice registry.example.org",
      "  echo \"$TOKEN\" | isula login -u alice --password-stdin 127.0.0.1:5000",
      "",
      "Exit status: 0 on success, 1 if the registry refuses the credentials or cannot be"
          + " reached, 2 on bad usage."
    })
final class LoginCommand implements Callable<Integer> {
  @Spec CommandSpec spec;

  @Mixin GlobalOptions global;

  @Parameters(index = "0", paramLabel = "HOST[:PORT]", description = "The registry.")
  String host;

  @Option(
      names = {"-u", "--username"},
      paramLabel = "USER",
      description = "User name (default: asked on the terminal).")
  String user;

  @Option(
      names = {"-p", "--password"},
      paramLabel = "PASSWORD",
      description =
          "Password (visible to other users in the process list; prefer" + " --password-stdin).")
  String password;

  @Option(
      names = "--password-stdin",
      description = "Read the password from standard input (its first line).")
  boolean passwordStdin;

  @Override
  public Integer call() throws Exception {
    PrintWriter out = spec.commandLine().getOut();
    if (password != null && passwordStdin) {
      throw new UsageException("give --password or --password-stdin, not both");
    }
    Console console = System.console();
    if (user == null) {
      if (console == null || passwordStdin) {
        throw new UsageException("give the user name with -u USER");
      }
      user = console.readLine("Username: ");
    }
    if (passwordStdin) {
      BufferedReader in =
          new BufferedReader(new InputStreamReader(System.in, StandardCharsets.UTF_8));
      String line = in.readLine();
      password = line == null ? "" : line;
    } else if (password == null) {
      if (console == null) {
        throw new UsageException("give the password with --password-stdin (no terminal to ask on)");
      }
      char[] p = console.readPassword("Password: ");
      password = p == null ? "" : new String(p);
    }
    if (user == null || user.isEmpty()) {
      throw new UsageException("the user name is empty");
    }
    if (password.isEmpty()) {
      throw new UsageException("the password is empty");
    }
    Path file = RegistryLogin.load().login(host, user, password);
    if (!global.quiet) {
      spec.commandLine().getErr().println("credentials stored in " + file);
      spec.commandLine().getErr().flush();
    }
    out.println("Login Succeeded!");
    out.flush();
    return IsulaCli.OK;
  }
}
