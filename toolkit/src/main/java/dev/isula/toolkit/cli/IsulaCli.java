package dev.isula.toolkit.cli;

import dev.isula.toolkit.api.IsulaException;
import dev.isula.toolkit.api.UsageException;
import java.io.IOException;
import java.io.PrintWriter;
import java.io.UncheckedIOException;
import java.nio.file.AccessDeniedException;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.FileSystemException;
import java.nio.file.NoSuchFileException;
import picocli.CommandLine;
import picocli.CommandLine.Command;

/**
 * The {@code isula} command line. Exit codes: 0 success, 1 failure (bad input, I/O error), 2 bad
 * usage. Errors are one line on stderr; {@code --debug} adds the stack trace.
 */
@Command(
    name = "isula",
    mixinStandardHelpOptions = true,
    versionProvider = IsulaCli.Version.class,
    description = "Convert container images between their on-disk forms, without a daemon.",
    footer = {
      "",
      "Image references use skopeo's transport syntax:",
      "  docker-archive:PATH[:NAME:TAG|:@N]   docker save / skopeo / podman archives",
      "  oci:DIR[:TAG]                         an OCI image layout directory",
      "  oci-archive:PATH[:TAG]                a tar of an OCI image layout",
      "  docker://HOST[:PORT]/REPO[:TAG|@DIGEST]  an image in a container registry",
      "  PATH                                  any of the above, detected by content",
      "  [store:]NAME[:TAG] | sha256:ID        an image of the local store"
    })
public final class IsulaCli {
  public static final int OK = 0;
  public static final int FAILURE = 1;
  public static final int USAGE = 2;

  /**
   * The subcommands, by name and alias. {@link #run} builds the picocli model of only the one a
   * command line names (reflecting over all of them costs more than the rest of a {@code --help});
   * {@link #commandLine()} has them all.
   */
  private static final java.util.Map<String, Class<?>> SUBCOMMANDS = subcommands();

  private static java.util.Map<String, Class<?>> subcommands() {
    java.util.Map<String, Class<?>> m = new java.util.LinkedHashMap<>();
    m.put("export", ExportCommand.class);
    m.put("import", ImportCommand.class);
    m.put("load", LoadCommand.class);
    m.put("save", SaveCommand.class);
    m.put("images", ImagesCommand.class);
    m.put("inspect", InspectCommand.class);
    m.put("tag", TagCommand.class);
    m.put("rm", RmCommand.class);
    m.put("convert", ConvertCommand.class);
    m.put("check", CheckCommand.class);
    m.put("pull", PullCommand.class);
    m.put("push", PushCommand.class);
    m.put("login", LoginCommand.class);
    m.put("logout", LogoutCommand.class);
    m.put("completion", CompletionCommand.class);
    m.put("help", CommandLine.HelpCommand.class);
    return java.util.Collections.unmodifiableMap(m);
  }

  /** Aliases of the subcommands above (picocli finds them on the annotations). */
  private static final java.util.Map<String, String> ALIASES =
      java.util.Map.of("copy", "convert", "rmi", "rm");

  @CommandLine.Option(
      names = "--verbose",
      description = "With --version: also the Java runtime and the codecs in use.")
  boolean verbose;

  private IsulaCli() {}

  public static void main(String... args) {
    exit(run(args));
  }

  /**
   * Ends the process with {@code code}. The selector threads of {@code java.net.http} clients (the
   * registry transport's) are stopped first: HotSpot's exit waits up to 300 ms for any thread that
   * sits in native code, as those do in {@code epoll_wait}, and Java 17's {@code HttpClient} has no
   * {@code close()}. Interrupting one makes it close its connections and end.
   */
  public static void exit(int code) {
    System.out.flush();
    System.err.flush();
    ThreadGroup root = Thread.currentThread().getThreadGroup();
    while (root.getParent() != null) {
      root = root.getParent();
    }
    Thread[] threads = new Thread[root.activeCount() + 8];
    int n = root.enumerate(threads, true);
    for (int i = 0; i < n; i++) {
      Thread t = threads[i];
      String name = t.getName();
      if (t != Thread.currentThread()
          && name.startsWith("HttpClient-")
          && name.endsWith("-SelectorManager")) {
        t.interrupt();
        try {
          t.join(100);
        } catch (InterruptedException e) {
          Thread.currentThread().interrupt();
          break;
        }
      }
    }
    System.exit(code);
  }

  /** Runs {@code isula ARGS...} and returns the exit code. */
  public static int run(String... args) {
    if (System.getProperty("jdk.console") == null) {
      // Java 22+ would load its JLine-based console (~100 classes, ~0.1 s) the first time picocli
      // asks whether stdout is a terminal; the plain one answers that just as well.
      System.setProperty("jdk.console", "java.base");
    }
    String plugins = System.getenv(dev.isula.toolkit.spi.PluginPath.ENV);
    if (plugins != null && !plugins.isBlank()) {
      try {
        dev.isula.toolkit.spi.PluginPath.install(plugins);
      } catch (UncheckedIOException e) {
        System.err.println("isula: " + describe(e));
        return FAILURE;
      }
    }
    return commandLine(args).execute(args);
  }

  /** Runs one subcommand: {@code run("export", args)} is {@code isula export args}. */
  public static int runSubcommand(String name, String... args) {
    String[] all = new String[args.length + 1];
    all[0] = name;
    System.arraycopy(args, 0, all, 1, args.length);
    return run(all);
  }

  /** The configured picocli command line with every subcommand (tests use it to capture output). */
  public static CommandLine commandLine() {
    return commandLine(SUBCOMMANDS.keySet());
  }

  /**
   * The command line for {@code args}: when the first argument names a subcommand (other than
   * {@code help} and {@code completion}, which show the others), only that one is built.
   */
  static CommandLine commandLine(String... args) {
    if (args.length > 0) {
      String name = ALIASES.getOrDefault(args[0], args[0]);
      if (SUBCOMMANDS.containsKey(name) && !name.equals("help") && !name.equals("completion")) {
        return commandLine(java.util.List.of(name));
      }
    }
    return commandLine();
  }

  private static CommandLine commandLine(java.util.Collection<String> subcommands) {
    GlobalOptions.resetRegistrySettings();
    CommandLine cl = new CommandLine(IsulaCli.class);
    for (String name : subcommands) {
      cl.addSubcommand(new CommandLine(SUBCOMMANDS.get(name)));
    }
    cl.setParameterExceptionHandler(
        (ex, argv) -> {
          CommandLine c = ex.getCommandLine();
          PrintWriter err = c.getErr();
          err.println(c.getCommandName() + ": " + ex.getMessage());
          err.println("Try '" + c.getCommandSpec().qualifiedName() + " --help' for more.");
          err.flush();
          return USAGE;
        });
    cl.setExecutionStrategy(
        parseResult -> {
          try {
            return new CommandLine.RunLast().execute(parseResult);
          } catch (OutOfMemoryError | StackOverflowError e) {
            // an input too big for the heap, or hostile: still one clear line, exit 1
            java.util.List<CommandLine> ran = parseResult.asCommandLineList();
            throw new CommandLine.ExecutionException(
                ran.get(ran.size() - 1), e.toString(), new OutOfResources(e));
          }
        });
    cl.setExecutionExceptionHandler(
        (ex, c, parseResult) -> {
          PrintWriter err = c.getErr();
          boolean debug = parseResult.originalArgs().contains("--debug");
          err.println(c.getCommandSpec().qualifiedName() + ": " + describe(ex));
          if (debug) {
            ex.printStackTrace(err);
          }
          err.flush();
          return ex instanceof UsageException ? USAGE : FAILURE;
        });
    return cl;
  }

  /** One line saying what went wrong, naming the file or entry. */
  static String describe(Throwable ex) {
    Throwable e = ex instanceof UncheckedIOException u ? u.getCause() : ex;
    if (e instanceof IsulaException
        || e instanceof OutOfResources
        || e instanceof dev.isula.toolkit.tar.TarWriter.UnwritableEntryException) {
      return e.getMessage();
    }
    if (e instanceof NoSuchFileException f) {
      return f.getFile()
          + ": no such file or directory"
          + (f.getReason() == null ? "" : " (" + f.getReason() + ")");
    }
    if (e instanceof AccessDeniedException f) {
      return f.getFile() + ": permission denied";
    }
    if (e instanceof FileAlreadyExistsException f) {
      return f.getFile() + ": " + (f.getReason() == null ? "already exists" : f.getReason());
    }
    if (e instanceof FileSystemException f) {
      return f.getFile() + ": " + (f.getReason() == null ? f.getMessage() : f.getReason());
    }
    if (e instanceof IOException) {
      return "I/O error: " + e.getMessage();
    }
    return "internal error: " + e + " (run with --debug for details)";
  }

  /** The JVM ran out of heap or stack: reported in one line like any other failure. */
  static final class OutOfResources extends Exception {
    private static final long serialVersionUID = 1L;

    OutOfResources(VirtualMachineError cause) {
      super(
          cause instanceof StackOverflowError
              ? "input nested too deeply (stack overflow)"
              : "out of memory: the input needs more than the "
                  + (Runtime.getRuntime().maxMemory() >> 20)
                  + " MiB of heap this JVM may use (raise it with -Xmx, e.g. in JAVA_TOOL_OPTIONS)",
          cause);
    }
  }

  /**
   * Version from the jar manifest; with {@code --verbose} also the JVM and which gzip inflater and
   * deflater run (ISA-L, libdeflate or java.util.zip), since those decide the speed.
   */
  static final class Version implements CommandLine.IVersionProvider {
    @CommandLine.Spec CommandLine.Model.CommandSpec spec;

    @Override
    public String[] getVersion() {
      String v = IsulaCli.class.getPackage().getImplementationVersion();
      String line = "isula-toolkit " + (v == null ? "(development build)" : v);
      if (spec == null || !(spec.userObject() instanceof IsulaCli cli) || !cli.verbose) {
        return new String[] {line};
      }
      return new String[] {
        line,
        "java: "
            + System.getProperty("java.runtime.version")
            + " ("
            + System.getProperty("java.vendor")
            + ", "
            + System.getProperty("java.home")
            + ")",
        "gzip inflate: " + dev.isula.toolkit.compress.GzipDecoders.describe(),
        "gzip deflate: " + dev.isula.toolkit.compress.ParallelGzipOutputStream.describe(),
      };
    }
  }
}
