package dev.isula.toolkit.spi;

import dev.isula.toolkit.api.IsulaException;
import java.io.IOException;
import java.util.List;

/**
 * What one image loader ({@code isula load}, {@code docker load}, {@code podman load}) requires of
 * an archive before it accepts it, as a list of named rules. Found with {@link
 * java.util.ServiceLoader} like {@link ImageFormat}: the plugin that knows the archive layout
 * provides the rules, the core only runs them ({@code isula check}).
 */
public interface LoaderRules {
  /** Stable kebab-case id of the loader, the value of {@code check --for}. */
  String loader();

  /** One line for {@code --help}: which loader, which version the rules were read from. */
  String description();

  /**
   * Checks an archive, or an image of any readable form as it would be saved for this loader.
   *
   * @param reference a path or a transport reference, as the other commands take it
   * @param options read options (platform, log)
   * @return one result per rule, in the order the loader applies them
   * @throws IsulaException if the reference names nothing readable at all
   */
  List<Result> check(String reference, ReadOptions options) throws IOException, IsulaException;

  /** How an archive fares against one rule. */
  enum Status {
    PASS,
    FAIL,
    /** The rule could not be checked, because an earlier rule failed. */
    SKIP
  }

  /**
   * One rule's outcome.
   *
   * @param rule the rule's kebab-case id
   * @param status pass, fail or skip
   * @param detail what was found, naming the file or entry that breaks the rule
   */
  record Result(String rule, Status status, String detail) {}
}
