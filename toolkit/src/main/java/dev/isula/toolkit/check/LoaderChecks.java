package dev.isula.toolkit.check;

import dev.isula.toolkit.api.UsageException;
import dev.isula.toolkit.spi.LoaderRules;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.ServiceLoader;
import java.util.TreeMap;

/**
 * The installed {@link LoaderRules}, by loader id. As for image formats, two providers for one
 * loader are a packaging error and fail loudly.
 */
public final class LoaderChecks {
  private final Map<String, LoaderRules> byLoader;

  private LoaderChecks(List<LoaderRules> rules) {
    Map<String, LoaderRules> map = new TreeMap<>();
    for (LoaderRules r : rules) {
      LoaderRules previous = map.putIfAbsent(r.loader(), r);
      if (previous != null) {
        throw new IllegalStateException(
            "two rule sets claim the loader '"
                + r.loader()
                + "': "
                + previous.getClass().getName()
                + " and "
                + r.getClass().getName());
      }
    }
    this.byLoader = Map.copyOf(map);
  }

  /** Every provider visible to the thread's context class loader (or this class's). */
  public static LoaderChecks load() {
    ClassLoader cl = Thread.currentThread().getContextClassLoader();
    if (cl == null) {
      cl = LoaderChecks.class.getClassLoader();
    }
    List<LoaderRules> found = new ArrayList<>();
    ServiceLoader.load(LoaderRules.class, cl).forEach(found::add);
    return new LoaderChecks(found);
  }

  /** A registry of exactly these rule sets (tests, embedding). */
  public static LoaderChecks of(List<LoaderRules> rules) {
    return new LoaderChecks(rules);
  }

  /** The loader ids, sorted. */
  public List<String> loaders() {
    return List.copyOf(new TreeMap<>(byLoader).keySet());
  }

  /**
   * The rules of {@code loader}.
   *
   * @throws UsageException naming the loaders there are, if none is called so
   */
  public LoaderRules require(String loader) throws UsageException {
    LoaderRules r = byLoader.get(loader);
    if (r == null) {
      throw new UsageException(
          "no rules for loader '"
              + loader
              + "'"
              + (byLoader.isEmpty()
                  ? " (no rule sets installed)"
                  : "; known: " + String.join(", ", loaders())));
    }
    return r;
  }
}
