package dev.isula.format.containersstorage;

import dev.isula.format.containersstorage.Records.ImageRecord;
import dev.isula.toolkit.api.ImageNotFoundException;
import dev.isula.toolkit.api.IsulaException;
import dev.isula.toolkit.api.UsageException;
import dev.isula.toolkit.image.ImageName;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;
import java.util.regex.Pattern;

/**
 * Finds the image a reference means, as containers/image's storage transport parses it and podman
 * looks it up:
 *
 * <ul>
 *   <li>{@code NAME[:TAG]@ID} or {@code @ID}: the image with that id (64 hex digits, or an
 *       unambiguous prefix of at least 3), which must carry the name if one is given;
 *   <li>{@code NAME[:TAG]@sha256:DIGEST}: the image of that repository whose manifest has that
 *       digest;
 *   <li>{@code ID}, {@code sha256:ID} or an id prefix of at least 3 hex digits;
 *   <li>{@code NAME[:TAG]}: a name as stored, else (for a short name) {@code localhost/NAME}, else
 *       the docker normalisation ({@code debian:v3} is {@code docker.io/library/debian:v3}), else
 *       (short names only) the one image with a name in any registry or namespace ending in {@code
 *       /NAME:TAG}.
 * </ul>
 *
 * A missing tag means {@code latest}. An ambiguous id prefix or short name is an error that lists
 * the candidates.
 */
final class ImageLookup {
  private static final Pattern HEX64 = Pattern.compile("[0-9a-f]{64}");
  private static final Pattern HEX_PREFIX = Pattern.compile("[0-9a-f]{3,64}");
  private static final Pattern DIGEST =
      Pattern.compile("[a-z0-9]+(?:[.+_-][a-z0-9]+)*:[a-zA-Z0-9=_-]+");

  private final List<ImageRecord> images;
  private final String where;

  ImageLookup(List<ImageRecord> images, String where) {
    this.images = images;
    this.where = where;
  }

  /**
   * The image {@code text} names.
   *
   * @throws ImageNotFoundException if there is none, or several match an ambiguous reference
   * @throws UsageException if {@code text} is not a valid reference
   */
  ImageRecord find(String text) throws IsulaException {
    String rest = text;
    String id = null;
    int at = rest.lastIndexOf('@');
    if (at >= 0) {
      String possible = rest.substring(at + 1);
      if (possible.isEmpty()) {
        throw new UsageException(where + text + ": empty digest or id after '@'");
      }
      if (!DIGEST.matcher(possible).matches()) {
        if (HEX64.matcher(possible).matches()) {
          id = possible;
        } else if (HEX_PREFIX.matcher(possible).matches()) {
          id = byIdPrefix(possible, text).id();
        } else {
          throw new UsageException(
              where + text + ": '" + possible + "' does not look like an image id or a digest");
        }
        rest = rest.substring(0, at);
      }
    }
    String digest = null;
    int at2 = rest.indexOf('@');
    if (at2 >= 0) {
      digest = rest.substring(at2 + 1);
      rest = rest.substring(0, at2);
      if (!digest.matches("sha256:[0-9a-f]{64}")) {
        throw new UsageException(where + text + ": unsupported digest '" + digest + "'");
      }
    }
    String name = rest.isEmpty() ? null : rest;
    if (id != null) {
      ImageRecord img = byId(id, text);
      if (name != null && !carries(img, name)) {
        throw new ImageNotFoundException(
            where + text + ": image " + shortId(img.id()) + " is not named " + name, names());
      }
      return img;
    }
    if (name == null) {
      throw new UsageException(where + text + ": a digest needs a name (NAME@sha256:...)");
    }
    if (digest == null) {
      String hex = name.startsWith("sha256:") ? name.substring(7) : null;
      if (hex != null) {
        if (!HEX_PREFIX.matcher(hex).matches()) {
          throw new UsageException(where + text + ": not an image id");
        }
        return byIdPrefix(hex, text);
      }
      if (HEX64.matcher(name).matches()) {
        return byId(name, text);
      }
      for (ImageRecord img : images) {
        if (img.names().contains(name)) {
          return img;
        }
      }
      if (HEX_PREFIX.matcher(name).matches()) {
        List<ImageRecord> byPrefix = withIdPrefix(name);
        if (byPrefix.size() == 1) {
          return byPrefix.get(0);
        }
        if (byPrefix.size() > 1) {
          throw ambiguous(text, byPrefix);
        }
      }
    }
    if (!ImageName.isValid(name)) {
      throw new UsageException(where + text + ": not a valid image name");
    }
    List<String> candidates = new ArrayList<>();
    if (isShort(name)) {
      candidates.add(ImageName.normalize("localhost/" + name));
    }
    candidates.add(ImageName.normalize(name));
    for (String wanted : candidates) {
      for (ImageRecord img : images) {
        if (digest == null ? hasName(img, wanted) : hasRepoAndDigest(img, wanted, digest)) {
          return img;
        }
      }
    }
    if (isShort(name)) {
      // podman's last resort: NAME:TAG in any registry and namespace
      String suffix = "/" + repository(name);
      String tag = tagOf(ImageName.normalize(name));
      Set<ImageRecord> fuzzy = new LinkedHashSet<>();
      for (ImageRecord img : images) {
        for (String n : img.names()) {
          String full = normalizedOrNull(n);
          if (full != null
              && repository(full).endsWith(suffix)
              && (digest == null ? tag.equals(tagOf(full)) : img.digests().contains(digest))) {
            fuzzy.add(img);
          }
        }
      }
      if (fuzzy.size() == 1) {
        return fuzzy.iterator().next();
      }
      if (fuzzy.size() > 1) {
        throw ambiguous(text, new ArrayList<>(fuzzy));
      }
    }
    throw new ImageNotFoundException(
        where
            + text
            + ": no such image"
            + (images.isEmpty()
                ? " (the store holds no images)"
                : " (it holds: " + String.join(", ", names()) + ")"),
        names());
  }

  private ImageRecord byId(String id, String text) throws ImageNotFoundException {
    for (ImageRecord img : images) {
      if (img.id().equals(id)) {
        return img;
      }
    }
    throw new ImageNotFoundException(where + text + ": no image with id " + id, names());
  }

  private ImageRecord byIdPrefix(String prefix, String text) throws ImageNotFoundException {
    List<ImageRecord> found = withIdPrefix(prefix);
    if (found.size() == 1) {
      return found.get(0);
    }
    if (found.isEmpty()) {
      throw new ImageNotFoundException(
          where + text + ": no image id starts with " + prefix, names());
    }
    throw ambiguous(text, found);
  }

  private List<ImageRecord> withIdPrefix(String prefix) {
    List<ImageRecord> out = new ArrayList<>();
    for (ImageRecord img : images) {
      if (img.id().startsWith(prefix)) {
        out.add(img);
      }
    }
    return out;
  }

  private ImageNotFoundException ambiguous(String text, List<ImageRecord> found) {
    List<String> shown = new ArrayList<>();
    for (ImageRecord img : found) {
      shown.add(
          shortId(img.id())
              + (img.names().isEmpty() ? "" : " (" + String.join(", ", img.names()) + ")"));
    }
    List<String> ids = found.stream().map(ImageRecord::id).toList();
    return new ImageNotFoundException(
        where + text + " is ambiguous: it matches " + String.join("; ", shown), ids);
  }

  private static boolean carries(ImageRecord img, String name) {
    if (!ImageName.isValid(name)) {
      return false;
    }
    String wanted = ImageName.normalize(name);
    String local = isShort(name) ? ImageName.normalize("localhost/" + name) : null;
    return hasName(img, wanted) || (local != null && hasName(img, local));
  }

  private static boolean hasName(ImageRecord img, String normalized) {
    for (String n : img.names()) {
      if (normalized.equals(normalizedOrNull(n))) {
        return true;
      }
    }
    return false;
  }

  private static boolean hasRepoAndDigest(ImageRecord img, String normalized, String digest) {
    if (!img.digests().contains(digest)) {
      return false;
    }
    String repo = repository(normalized);
    for (String n : img.names()) {
      String full = normalizedOrNull(n);
      if (full != null && repo.equals(repository(full))) {
        return true;
      }
    }
    return false;
  }

  /** A stored name in docker's normal form, or null if it is not a valid name. */
  private static String normalizedOrNull(String name) {
    return ImageName.isValid(name) ? ImageName.normalize(name) : null;
  }

  /** {@code host/path} of a normalised name, without tag or digest. */
  static String repository(String normalized) {
    String n = normalized;
    int at = n.indexOf('@');
    if (at >= 0) {
      n = n.substring(0, at);
    }
    int slash = n.lastIndexOf('/');
    int colon = n.lastIndexOf(':');
    return colon > slash ? n.substring(0, colon) : n;
  }

  private static String tagOf(String normalized) {
    String n = normalized;
    int at = n.indexOf('@');
    if (at >= 0) {
      n = n.substring(0, at);
    }
    int slash = n.lastIndexOf('/');
    int colon = n.lastIndexOf(':');
    return colon > slash ? n.substring(colon + 1) : "latest";
  }

  /** True for a name without a registry host ({@code debian:v3}, {@code library/debian}). */
  static boolean isShort(String name) {
    int slash = name.indexOf('/');
    if (slash < 0) {
      return true;
    }
    String first = name.substring(0, slash);
    return !(first.contains(".") || first.contains(":") || first.equals("localhost"));
  }

  private List<String> names() {
    List<String> out = new ArrayList<>();
    for (ImageRecord img : images) {
      if (img.names().isEmpty()) {
        out.add(shortId(img.id()));
      } else {
        out.addAll(img.names());
      }
    }
    return out;
  }

  static String shortId(String id) {
    return id.length() > 12 ? id.substring(0, 12) : id;
  }
}
