package dev.isula.toolkit.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.Test;
import picocli.CommandLine;

/**
 * {@link IsulaCli#run} builds only the subcommand a command line names; what it prints and returns
 * must be what the full command line gives.
 */
class LazySubcommandsTest {
  private static Set<String> names(CommandLine cl) {
    return cl.getSubcommands().keySet();
  }

  @Test
  void aNamedSubcommandOrAliasIsTheOnlyOneBuilt() {
    assertEquals(Set.of("export"), names(IsulaCli.commandLine("export", "--help")));
    assertEquals(Set.of("convert", "copy"), names(IsulaCli.commandLine("copy", "a", "b")));
    assertEquals(Set.of("rm", "rmi"), names(IsulaCli.commandLine("rmi", "x")));
  }

  @Test
  void helpCompletionAndOptionsAloneGetEverySubcommand() {
    Set<String> all = names(IsulaCli.commandLine());
    for (List<String> args :
        List.of(
            List.<String>of(),
            List.of("--help"),
            List.of("--version", "--verbose"),
            List.of("help", "export"),
            List.of("completion"),
            List.of("exprot"))) {
      assertEquals(all, names(IsulaCli.commandLine(args.toArray(String[]::new))), args.toString());
    }
  }

  private static String[] run(CommandLine cl, String... args) {
    StringWriter out = new StringWriter();
    StringWriter err = new StringWriter();
    cl.setOut(new PrintWriter(out, true));
    cl.setErr(new PrintWriter(err, true));
    int code = cl.execute(args);
    return new String[] {Integer.toString(code), out.toString(), err.toString()};
  }

  @Test
  void outputAndExitCodesAreThoseOfTheFullCommandLine() {
    for (String[] args :
        List.of(
            new String[] {"export", "--help"},
            new String[] {"import", "--no-such-option"},
            new String[] {"copy", "--help"},
            new String[] {"tag"},
            new String[] {"export", "/nonexistent/image.tar", "/nonexistent/out.tar"})) {
      assertEquals(
          List.of(run(IsulaCli.commandLine(), args)),
          List.of(run(IsulaCli.commandLine(args), args)),
          String.join(" ", args));
    }
  }
}
