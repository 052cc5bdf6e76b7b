package dev.isula.toolkit.store;

import dev.isula.toolkit.hash.Digest;
import java.util.List;

/**
 * One image of the store: its id (the config digest, as docker shows it), the digest of its
 * manifest, its names, when it was created (from the config), platform, and the size of its blobs
 * as stored.
 */
public record StoredImage(
    Digest id,
    Digest manifestDigest,
    List<String> names,
    String created,
    String platform,
    long size) {

  public StoredImage {
    names = List.copyOf(names);
  }

  /** The 12-hex-digit id docker prints. */
  public String shortId() {
    return id.shortHex();
  }
}
