package dev.isula.toolkit.api;

/**
 * Base of every expected failure: bad input, unsupported formats, missing images. The message is
 * one line meant for the user and names the file or entry at fault; callers never need a stack
 * trace to act on it.
 */
public class IsulaException extends Exception {
  private static final long serialVersionUID = 1L;

  public IsulaException(String message) {
    super(message);
  }

  public IsulaException(String message, Throwable cause) {
    super(message, cause);
  }
}
