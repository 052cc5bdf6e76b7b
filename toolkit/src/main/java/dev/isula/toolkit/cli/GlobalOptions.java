package dev.isula.toolkit.cli;

import picocli.CommandLine.Option;

/** Flags every subcommand takes. */
public final class GlobalOptions {
  @Option(
      names = {"-q", "--quiet"},
      description = "Print nothing but errors.")
  boolean quiet;

  @Option(names = "--debug", description = "On failure, print the stack trace too.")
  boolean debug;
}
