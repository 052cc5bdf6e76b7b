package dev.isula.toolkit.spi;

import dev.isula.toolkit.api.IsulaException;
import dev.isula.toolkit.api.UnsupportedFormatException;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.ServiceLoader;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Collectors;

/**
 * The installed {@link ImageFormat}s, loaded once. Lookup is by id; detection of bare paths tries
 * providers by descending {@link ImageFormat#priority()}, then id, so the outcome never depends on
 * class path order. A duplicate id is refused loudly.
 */
public final class FormatRegistry {
  private static final Pattern TRANSPORT =
      Pattern.compile("([a-z][a-z0-9-]*):(.*)", Pattern.DOTALL);

  private final Map<String, ImageFormat> byId;
  private final List<ImageFormat> detectionOrder;

  private FormatRegistry(List<ImageFormat> formats) {
    Map<String, ImageFormat> map = new LinkedHashMap<>();
    for (ImageFormat f : formats) {
      ImageFormat previous = map.putIfAbsent(f.id(), f);
      if (previous != null) {
        throw new IllegalStateException(
            "two image formats claim the id '"
                + f.id()
                + "': "
                + previous.getClass().getName()
                + " and "
                + f.getClass().getName());
      }
    }
    this.byId = Map.copyOf(map);
    List<ImageFormat> order = new ArrayList<>(map.values());
    order.sort(
        Comparator.comparingInt(ImageFormat::priority).reversed().thenComparing(ImageFormat::id));
    this.detectionOrder = List.copyOf(order);
  }

  /** Every provider visible to the thread's context class loader (or this class's). */
  public static FormatRegistry load() {
    ClassLoader cl = Thread.currentThread().getContextClassLoader();
    if (cl == null) {
      cl = FormatRegistry.class.getClassLoader();
    }
    return load(cl);
  }

  public static FormatRegistry load(ClassLoader loader) {
    List<ImageFormat> found = new ArrayList<>();
    ServiceLoader.load(ImageFormat.class, loader).forEach(found::add);
    return new FormatRegistry(found);
  }

  /** A registry of exactly these providers (tests, embedding). */
  public static FormatRegistry of(List<ImageFormat> formats) {
    return new FormatRegistry(formats);
  }

  /** All providers in detection order. */
  public List<ImageFormat> formats() {
    return detectionOrder;
  }

  public Optional<ImageFormat> find(String id) {
    return Optional.ofNullable(byId.get(id));
  }

  /** The provider for {@code id}, or an error listing the known ones. */
  public ImageFormat require(String id) throws UnsupportedFormatException {
    ImageFormat f = byId.get(id);
    if (f == null) {
      throw new UnsupportedFormatException(
          "unknown transport '" + id + "' (known: " + knownIds() + ")");
    }
    return f;
  }

  public String knownIds() {
    return detectionOrder.stream().map(ImageFormat::id).sorted().collect(Collectors.joining(", "));
  }

  /**
   * Finds the format of a bare path by content.
   *
   * @throws UnsupportedFormatException if no provider recognises it
   */
  public ImageFormat detect(Path path) throws IOException, IsulaException {
    if (!Files.exists(path)) {
      throw new NoSuchFileException(path.toString());
    }
    try (Probe probe = new Probe(path)) {
      for (ImageFormat f : detectionOrder) {
        if (f.detect(probe)) {
          return f;
        }
      }
    }
    throw new UnsupportedFormatException(
        path
            + ": not an image this tool can read (tried "
            + knownIds()
            + "); use TRANSPORT:PATH to say what it is");
  }

  /**
   * Splits a user reference into a format and its transport-specific rest: {@code
   * oci-archive:x.tar:v1} names its transport; an existing bare path is detected by content;
   * anything else goes to a format that takes bare names (the local store: {@code busybox:1.36}).
   */
  public ParsedReference parse(String reference) throws IOException, IsulaException {
    Matcher m = TRANSPORT.matcher(reference);
    if (m.matches()) {
      ImageFormat f = byId.get(m.group(1));
      if (f != null) {
        return new ParsedReference(f, m.group(2));
      }
    }
    if (Files.exists(Path.of(reference))) {
      return new ParsedReference(detect(Path.of(reference)), reference);
    }
    for (ImageFormat f : detectionOrder) {
      if (f.acceptsBareName(reference)) {
        return new ParsedReference(f, reference);
      }
    }
    if (m.matches()) {
      throw new UnsupportedFormatException(
          "unknown transport '"
              + m.group(1)
              + "' in '"
              + reference
              + "' (known: "
              + knownIds()
              + ")");
    }
    throw new NoSuchFileException(reference);
  }

  /** Parses and opens in one step. */
  public ImageSource open(String reference, ReadOptions options)
      throws IOException, IsulaException {
    ParsedReference p = parse(reference);
    return p.format().open(p.rest(), options);
  }

  /**
   * Opens a destination. Unlike sources, destinations must name their transport ({@code oci:DIR}),
   * since a path that does not exist yet has no content to detect.
   */
  public ImageSink openSink(String reference, WriteOptions options)
      throws IOException, IsulaException {
    Matcher m = TRANSPORT.matcher(reference);
    ImageFormat f = m.matches() ? byId.get(m.group(1)) : null;
    String rest = f == null ? null : m.group(2);
    if (f == null) {
      for (ImageFormat candidate : detectionOrder) {
        if (candidate.canWrite() && candidate.acceptsBareName(reference)) {
          f = candidate;
          rest = reference;
          break;
        }
      }
    }
    if (f == null) {
      throw new dev.isula.toolkit.api.UsageException(
          "'"
              + reference
              + "': give the destination as TRANSPORT:PATH, with TRANSPORT one of "
              + detectionOrder.stream()
                  .filter(ImageFormat::canWrite)
                  .map(ImageFormat::id)
                  .sorted()
                  .collect(Collectors.joining(", ")));
    }
    if (!f.canWrite()) {
      throw new UnsupportedFormatException("the " + f.id() + " transport cannot be written to");
    }
    return f.openSink(rest, options);
  }

  /** A reference split into its format and the part that format interprets. */
  public record ParsedReference(ImageFormat format, String rest) {}
}
