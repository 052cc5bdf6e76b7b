package dev.isula.format.containersstorage;

import dev.isula.toolkit.api.UsageException;
import java.util.List;

/**
 * The part of a {@code containers-storage:} reference after the transport, split the way
 * containers/image's storage transport splits it: {@code [DRIVER@GRAPHROOT+RUNROOT:OPTIONS]IMAGE}.
 * Inside the brackets {@code DRIVER@} is peeled off the front (at the first {@code @}), then {@code
 * :OPTIONS} off the rest (at the first {@code :}, split at commas), then {@code +RUNROOT} (at the
 * first {@code +}); what remains is the graph root. Both paths must be absolute. Without brackets
 * the store comes from the configuration (see {@link StorageConf}).
 *
 * @param driver the storage driver, or null to use the configured one
 * @param graphRoot the graph root, or null to use the configured one
 * @param runRoot the run root, or null
 * @param options driver options, as given (not used for reading, kept for messages)
 * @param image what names the image: {@code NAME[:TAG][@DIGEST][@ID]}, an id or an id prefix
 */
record StoreReference(
    String driver, String graphRoot, String runRoot, List<String> options, String image) {

  /**
   * Parses the text after {@code containers-storage:}.
   *
   * @throws UsageException if the store specifier is malformed or no image is named
   */
  static StoreReference parse(String reference) throws UsageException {
    String rest = reference;
    String driver = null;
    String graphRoot = null;
    String runRoot = null;
    List<String> options = List.of();
    if (rest.startsWith("[")) {
      int close = rest.indexOf(']');
      if (close < 1) {
        throw usage(reference, "the store specifier has no closing ']'");
      }
      String spec = rest.substring(1, close);
      rest = rest.substring(close + 1);
      int at = spec.indexOf('@');
      if (at < 0) {
        if (spec.isEmpty()) {
          throw usage(reference, "the store specifier is empty");
        }
      } else {
        driver = spec.substring(0, at);
        spec = spec.substring(at + 1);
        if (driver.isEmpty() || spec.isEmpty()) {
          throw usage(reference, "expected [DRIVER@GRAPHROOT...], with both parts");
        }
      }
      int colon = spec.indexOf(':');
      if (colon >= 0) {
        options = List.of(spec.substring(colon + 1).split(",", -1));
        spec = spec.substring(0, colon);
      }
      int plus = spec.indexOf('+');
      if (plus >= 0) {
        runRoot = spec.substring(plus + 1);
        spec = spec.substring(0, plus);
      }
      graphRoot = spec;
      if (!graphRoot.isEmpty() && !graphRoot.startsWith("/")) {
        throw usage(reference, "the graph root '" + graphRoot + "' is not an absolute path");
      }
      if (runRoot != null && !runRoot.isEmpty() && !runRoot.startsWith("/")) {
        throw usage(reference, "the run root '" + runRoot + "' is not an absolute path");
      }
      graphRoot = graphRoot.isEmpty() ? null : graphRoot;
      runRoot = runRoot == null || runRoot.isEmpty() ? null : runRoot;
    }
    if (rest.isEmpty()) {
      throw usage(reference, "no image named (give NAME[:TAG], an image id or an id prefix)");
    }
    return new StoreReference(driver, graphRoot, runRoot, options, rest);
  }

  private static UsageException usage(String reference, String what) {
    return new UsageException(
        "containers-storage:"
            + reference
            + ": "
            + what
            + " (syntax: containers-storage:[DRIVER@GRAPHROOT+RUNROOT:OPTIONS]NAME[:TAG]|ID)");
  }
}
