package dev.isula.toolkit.spi;

import dev.isula.toolkit.api.UnsupportedFormatException;
import java.io.IOException;

/**
 * A third-party format as a plugin would provide it, registered only through {@code
 * META-INF/services} in the test resources. It recognises directories holding a {@value #MARKER}
 * file and opens nothing.
 */
public final class FakeFormat implements ImageFormat {
  public static final String ID = "fake-test";
  public static final String MARKER = "fake-test.marker";

  /** ServiceLoader needs a public no-argument constructor. */
  public FakeFormat() {}

  @Override
  public String id() {
    return ID;
  }

  @Override
  public String description() {
    return "test-only format";
  }

  @Override
  public boolean detect(Probe probe) throws IOException {
    return probe.isDirectory() && probe.hasFile(MARKER);
  }

  @Override
  public ImageSource open(String reference, ReadOptions options) throws UnsupportedFormatException {
    throw new UnsupportedFormatException(ID + " cannot open '" + reference + "'");
  }
}
