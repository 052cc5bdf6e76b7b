package dev.isula.format.registry;

import com.google.auto.service.AutoService;
import dev.isula.toolkit.api.IsulaException;
import dev.isula.toolkit.spi.ImageFormat;
import dev.isula.toolkit.spi.ImageSink;
import dev.isula.toolkit.spi.ImageSource;
import dev.isula.toolkit.spi.Probe;
import dev.isula.toolkit.spi.ReadOptions;
import dev.isula.toolkit.spi.WriteOptions;
import java.io.IOException;

/**
 * {@code docker://HOST[:PORT]/REPOSITORY[:TAG|@DIGEST]}: an image in a container registry, read and
 * written through the OCI Distribution API (see docs/registry.md).
 */
@AutoService(ImageFormat.class)
public final class RegistryFormat implements ImageFormat {
  @Override
  public String id() {
    return "docker";
  }

  @Override
  public String description() {
    return "a container registry (OCI Distribution API)";
  }

  @Override
  public String syntax() {
    return "docker://HOST[:PORT]/REPOSITORY[:TAG|@DIGEST]";
  }

  @Override
  public boolean detect(Probe probe) {
    return false; // never a local path
  }

  @Override
  public ImageSource open(String reference, ReadOptions options)
      throws IsulaException, IOException {
    return RegistryReader.open(RegistryReference.parse(reference), options);
  }

  @Override
  public boolean canWrite() {
    return true;
  }

  @Override
  public ImageSink openSink(String reference, WriteOptions options)
      throws IsulaException, IOException {
    return new RegistrySink(RegistryReference.parse(reference), options);
  }
}
