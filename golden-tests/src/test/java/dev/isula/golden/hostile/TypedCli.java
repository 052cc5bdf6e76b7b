package dev.isula.golden.hostile;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;

/**
 * {@code isula} as a child process that also writes the class name of the exception it reported (if
 * any) to a file, so tests of bounded and killed runs can check the exception type while stderr
 * stays exactly what users see. Arguments: the file, then the {@code isula} arguments.
 */
public final class TypedCli {
  private TypedCli() {}

  public static void main(String[] args) throws IOException {
    String[] caught = new String[1];
    int code = HostileCli.recording(caught).execute(Arrays.copyOfRange(args, 1, args.length));
    if (caught[0] != null) {
      Files.writeString(Path.of(args[0]), caught[0]);
    }
    System.out.flush();
    System.err.flush();
    System.exit(code);
  }
}
