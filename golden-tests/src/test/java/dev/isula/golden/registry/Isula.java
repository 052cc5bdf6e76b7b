package dev.isula.golden.registry;

import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.isula.golden.CliRun;
import dev.isula.toolkit.store.ImageStores;
import java.util.List;

/**
 * Runs {@code isula} in this JVM with its output captured. Registry flags ({@code --tls-verify},
 * {@code --authfile}, ...) and {@code --root} become system properties for the run; they are
 * forgotten afterwards, so no run or other test class sees another's settings.
 */
final class Isula {
  private Isula() {}

  /** One finished run. */
  record Run(List<String> args, int exit, String out, String err) {
    Run ok() {
      assertEquals(0, exit, () -> "isula " + String.join(" ", args) + " failed:\n" + this);
      return this;
    }

    List<String> errLines() {
      return err.lines().toList();
    }

    @Override
    public String toString() {
      return "isula "
          + String.join(" ", args)
          + "\nexit "
          + exit
          + "\n--- stdout:\n"
          + out
          + "\n--- stderr:\n"
          + err;
    }
  }

  static Run run(String... args) {
    String root = System.getProperty(ImageStores.ROOT_PROPERTY);
    try {
      CliRun r = CliRun.isula(args);
      return new Run(List.of(args), r.exitCode(), r.out(), r.err());
    } finally {
      if (root == null) {
        System.clearProperty(ImageStores.ROOT_PROPERTY);
      } else {
        System.setProperty(ImageStores.ROOT_PROPERTY, root);
      }
      for (String k : new String[] {"tls-verify", "cert-dir", "authfile", "creds", "retries"}) {
        System.clearProperty("isula.registry." + k);
      }
    }
  }
}
