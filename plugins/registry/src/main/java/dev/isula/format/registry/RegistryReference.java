package dev.isula.format.registry;

import dev.isula.toolkit.api.UsageException;
import dev.isula.toolkit.hash.Digest;
import java.util.regex.Pattern;

/**
 * A parsed {@code docker://HOST[:PORT]/REPO[:TAG][@DIGEST]} reference (the part after {@code
 * docker:}). As with docker and skopeo, a first component without a dot or a port that is not
 * {@code localhost} is a Docker Hub repository: {@code docker://busybox} is {@code
 * docker.io/library/busybox:latest}.
 *
 * @param host the registry as named by the user ({@code 127.0.0.1:5000}, {@code docker.io}); the
 *     key for credentials
 * @param repository the repository path ({@code library/busybox})
 * @param tag the tag, or null when only a digest is given (or nothing: see {@link #explicitTag})
 * @param digest the manifest digest, or null
 * @param explicitTag false when the user gave neither tag nor digest ({@code tag} is then "latest")
 */
record RegistryReference(
    String host, String repository, String tag, Digest digest, boolean explicitTag) {
  static final String DOCKER_HUB = "docker.io";
  static final String DOCKER_HUB_API = "registry-1.docker.io";

  private static final Pattern COMPONENT = Pattern.compile("[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*");
  private static final Pattern TAG = Pattern.compile("[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}");
  private static final Pattern HOST =
      Pattern.compile(
          "(?:[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?(?:\\.[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?)*"
              + "|\\[[0-9A-Fa-f:.]+\\])(?::[0-9]{1,5})?");

  /**
   * Parses the transport-specific part of a reference, {@code //HOST[:PORT]/REPO[:TAG|@DIGEST]}.
   *
   * @throws UsageException if it is malformed
   */
  static RegistryReference parse(String rest) throws UsageException {
    String full = "docker:" + rest;
    if (!rest.startsWith("//")) {
      throw new UsageException(
          "'" + full + "': registry references are docker://HOST[:PORT]/REPOSITORY[:TAG|@DIGEST]");
    }
    String s = rest.substring(2);
    if (s.isEmpty()) {
      throw new UsageException("'" + full + "': missing registry and repository");
    }
    String host;
    String remainder;
    int slash = s.indexOf('/');
    String first = slash < 0 ? s : s.substring(0, slash);
    if (slash > 0 && (first.contains(".") || first.contains(":") || first.equals("localhost"))) {
      host = first;
      remainder = s.substring(slash + 1);
    } else {
      host = DOCKER_HUB;
      remainder = s;
    }
    if (!HOST.matcher(host).matches()) {
      throw new UsageException("'" + full + "': invalid registry host '" + host + "'");
    }
    if (host.equals("index.docker.io")) {
      host = DOCKER_HUB;
    }
    Digest digest = null;
    int at = remainder.indexOf('@');
    if (at >= 0) {
      String d = remainder.substring(at + 1);
      remainder = remainder.substring(0, at);
      digest = Digest.tryParse(d);
      if (digest == null) {
        throw new UsageException("'" + full + "': invalid digest '" + d + "'");
      }
    }
    String tag = null;
    int colon = remainder.lastIndexOf(':');
    if (colon > remainder.lastIndexOf('/')) {
      tag = remainder.substring(colon + 1);
      remainder = remainder.substring(0, colon);
      if (!TAG.matcher(tag).matches()) {
        throw new UsageException("'" + full + "': invalid tag '" + tag + "'");
      }
    }
    if (remainder.isEmpty()) {
      throw new UsageException("'" + full + "': missing repository");
    }
    for (String c : remainder.split("/", -1)) {
      if (!COMPONENT.matcher(c).matches()) {
        throw new UsageException(
            "'"
                + full
                + "': invalid repository '"
                + remainder
                + "' (lower-case letters, digits and . _ - separators, parts joined by /)");
      }
    }
    if (host.equals(DOCKER_HUB) && !remainder.contains("/")) {
      remainder = "library/" + remainder;
    }
    boolean explicit = tag != null || digest != null;
    if (!explicit) {
      tag = "latest";
    }
    return new RegistryReference(host, remainder, tag, digest, explicit);
  }

  /** The host the HTTP API is served from (Docker Hub's differs from its name). */
  String apiHost() {
    return host.equals(DOCKER_HUB) ? DOCKER_HUB_API : host;
  }

  /** What goes after {@code /manifests/}: the digest if given, else the tag. */
  String manifestReference() {
    return digest != null ? digest.toString() : tag;
  }

  /** {@code REPO:TAG} or {@code REPO@DIGEST}, for messages. */
  String repositoryAndReference() {
    return repository + (digest != null ? "@" + digest : ":" + tag);
  }

  /** The image name for the local store, {@code HOST/REPO:TAG}; null for digest references. */
  String imageName() {
    return tag == null || digest != null ? null : host + "/" + repository + ":" + tag;
  }

  @Override
  public String toString() {
    return "docker://" + host + "/" + repositoryAndReference();
  }
}
