package dev.isula.golden.roundtrip;

import dev.isula.golden.SampleImages;
import dev.isula.toolkit.testing.TestImage;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Path;
import java.util.List;

/** The sample images of {@link SampleImages}, with writers that return the reference to use. */
final class Samples {
  private Samples() {}

  /** One sample image. */
  record Sample(
      String name,
      String repoTag,
      TestImage image,
      List<String> exportOptions,
      SampleImages.Sample raw) {

    /** Writes the sample's OCI layout (the whole index, for multi-platform) and returns its ref. */
    String writeOciLayout(Path dir) {
      try {
        raw.writeOciLayout(dir);
      } catch (IOException e) {
        throw new UncheckedIOException(e);
      }
      return "oci:" + dir + ":" + ociTag();
    }

    /** Writes a classic docker-archive of the sample (its single-platform image). */
    String writeDockerArchive(Path file) {
      try {
        raw.writeDockerArchive(file);
      } catch (IOException e) {
        throw new UncheckedIOException(e);
      }
      return "docker-archive:" + file;
    }

    /** Writes an oci-archive of the sample. */
    String writeOciArchive(Path file) {
      try {
        raw.writeOciArchive(file);
      } catch (IOException e) {
        throw new UncheckedIOException(e);
      }
      return "oci-archive:" + file + ":" + ociTag();
    }

    @Override
    public String toString() {
      return name;
    }
  }

  /** Every sample, in SampleImages' order. */
  static List<Sample> all() {
    return SampleImages.all().stream()
        .map(s -> new Sample(s.name(), s.repoTag(), s.image(), s.exportOptions(), s))
        .toList();
  }

  static Sample byName(String name) {
    return all().stream()
        .filter(s -> s.name().equals(name))
        .findFirst()
        .orElseThrow(() -> new IllegalArgumentException("no sample " + name));
  }

  static List<String> names() {
    return all().stream().map(Sample::name).toList();
  }

  /** One platform's image of the multi-platform sample. */
  static TestImage platformImage(String arch, String variant, String uname) {
    return SampleImages.platformImage(arch, variant, uname);
  }

  /** The tag samples carry in OCI layouts. */
  static String ociTag() {
    return SampleImages.OCI_TAG;
  }
}
