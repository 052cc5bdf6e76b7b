package dev.isula.toolkit.api;

/** A transport, media type, compression or tar feature that no installed provider handles. */
public final class UnsupportedFormatException extends IsulaException {
  private static final long serialVersionUID = 1L;

  public UnsupportedFormatException(String message) {
    super(message);
  }
}
