package dev.isula.toolkit.api;

import java.util.List;

/**
 * The source holds no image matching the request, or several where one is needed. The message lists
 * what the source does hold so the user can pick.
 */
public final class ImageNotFoundException extends IsulaException {
  private static final long serialVersionUID = 1L;

  private final List<String> candidates;

  public ImageNotFoundException(String message, List<String> candidates) {
    super(message);
    this.candidates = List.copyOf(candidates);
  }

  /** What the source does hold, in the form the user would type to select it. */
  public List<String> candidates() {
    return candidates;
  }
}
