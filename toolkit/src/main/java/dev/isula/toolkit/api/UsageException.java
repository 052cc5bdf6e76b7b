package dev.isula.toolkit.api;

/** The request itself is wrong (bad flag value, bad reference syntax); exit code 2 on the CLI. */
public final class UsageException extends IsulaException {
  private static final long serialVersionUID = 1L;

  public UsageException(String message) {
    super(message);
  }
}
