package dev.isula.golden.docs;

import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.isula.toolkit.cli.IsulaCli;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import picocli.CommandLine;
import picocli.CommandLine.Model.OptionSpec;

/**
 * Every subcommand has its page under docs/commands/, and the page names every option the command
 * takes (the options shared by all commands are on common-options.md) and its exit status, so the
 * documentation cannot silently fall behind the code.
 */
class CommandDocsTest {
  private static final Path DOCS =
      Path.of(System.getProperty("user.dir")).getParent().resolve("docs/commands");

  @Test
  void everyCommandAndOptionIsDocumented() throws Exception {
    List<String> missing = new ArrayList<>();
    String common = Files.readString(DOCS.resolve("common-options.md"));
    java.util.Set<String> shared = new java.util.HashSet<>();
    for (Map.Entry<String, CommandLine> e : IsulaCli.commandLine().getSubcommands().entrySet()) {
      String name = e.getKey();
      CommandLine cmd = e.getValue();
      if (name.equals("help") || !name.equals(cmd.getCommandName())) {
        continue; // picocli's help, and aliases (rmi, copy) of documented commands
      }
      Path page = DOCS.resolve(name + ".md");
      if (!Files.exists(page)) {
        missing.add(page + " (no page)");
        continue;
      }
      String text = Files.readString(page);
      CommandLine.Model.CommandSpec global = cmd.getCommandSpec().mixins().get("global");
      for (OptionSpec o : cmd.getCommandSpec().options()) {
        if (o.usageHelp() || o.versionHelp()) {
          continue;
        }
        boolean isShared =
            global != null
                && global.options().stream().anyMatch(g -> g.longestName().equals(o.longestName()));
        if (isShared) {
          shared.add(o.longestName());
        } else if (!text.contains(o.longestName())) {
          missing.add(name + ": " + o.longestName());
        }
      }
      if (!text.contains("Exit status")) {
        missing.add(name + ": exit status");
      }
    }
    for (String o : shared) {
      if (!common.contains(o)) {
        missing.add("common-options.md: " + o);
      }
    }
    assertTrue(missing.isEmpty(), "undocumented: " + missing);
  }
}
