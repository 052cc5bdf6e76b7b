package dev.isula.toolkit.api;

/** The input is not a well-formed image: malformed JSON, missing blob, broken tar, bad names. */
public class InvalidImageException extends IsulaException {
  private static final long serialVersionUID = 1L;

  public InvalidImageException(String message) {
    super(message);
  }

  public InvalidImageException(String message, Throwable cause) {
    super(message, cause);
  }
}
