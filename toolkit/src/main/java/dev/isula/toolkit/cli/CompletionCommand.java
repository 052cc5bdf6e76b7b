package dev.isula.toolkit.cli;

import dev.isula.toolkit.api.UsageException;
import java.util.concurrent.Callable;
import picocli.AutoComplete;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

/** {@code isula completion bash}: a completion script for the shell. */
@Command(
    name = "completion",
    mixinStandardHelpOptions = true,
    description = "Print a shell completion script (bash; zsh loads it with bashcompinit).",
    footer = {
      "",
      "Examples:",
      "  source <(isula completion bash)",
      "  isula completion bash > /etc/bash_completion.d/isula"
    })
final class CompletionCommand implements Callable<Integer> {
  @Spec CommandSpec spec;

  @Parameters(
      index = "0",
      paramLabel = "SHELL",
      defaultValue = "bash",
      description = "bash (default) or zsh.")
  String shell;

  @Override
  public Integer call() throws UsageException {
    if (!shell.equals("bash") && !shell.equals("zsh")) {
      throw new UsageException("completion is available for bash and zsh");
    }
    spec.commandLine().getOut().print(AutoComplete.bash("isula", spec.root().commandLine()));
    spec.commandLine().getOut().flush();
    return IsulaCli.OK;
  }
}
