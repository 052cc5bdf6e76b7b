package dev.isula.format.registry;

import dev.isula.toolkit.api.IsulaException;

/**
 * A registry refused a request or could not be reached; the message is one line naming the registry
 * (and, where it helps, what to do about it).
 */
final class RegistryException extends IsulaException {
  private static final long serialVersionUID = 1L;

  /** The HTTP status, or 0 for a transport failure. */
  private final int status;

  RegistryException(String message, int status) {
    super(message);
    this.status = status;
  }

  RegistryException(String message, Throwable cause) {
    super(message, cause);
    this.status = 0;
  }

  int status() {
    return status;
  }
}
