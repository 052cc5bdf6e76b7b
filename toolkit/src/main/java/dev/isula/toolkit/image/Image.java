package dev.isula.toolkit.image;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.isula.toolkit.api.InvalidImageException;
import dev.isula.toolkit.hash.Digest;
import dev.isula.toolkit.json.Json;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;

/**
 * A resolved, single-platform image: its config (kept as the exact bytes read, plus a parsed tree),
 * its manifest when the source format has one, and its layers bottom to top. The layers' bytes are
 * not read until someone opens them.
 */
public final class Image {
  private final String source;
  private final List<String> names;
  private final String layoutTag;
  private final byte[] configBytes;
  private final Digest configDigest;
  private final ObjectNode config;
  private final byte[] manifestBytes;
  private final String manifestMediaType;
  private final List<Layer> layers;

  private Image(Builder b) {
    this.source = Objects.requireNonNull(b.source, "source");
    this.names = List.copyOf(b.names);
    this.layoutTag = b.layoutTag;
    this.configBytes = Objects.requireNonNull(b.configBytes, "config").clone();
    this.configDigest = Digest.sha256(configBytes);
    this.config = b.config;
    this.manifestBytes = b.manifestBytes == null ? null : b.manifestBytes.clone();
    this.manifestMediaType = b.manifestMediaType;
    this.layers = List.copyOf(b.layers);
  }

  public static Builder builder() {
    return new Builder();
  }

  /** Where the image came from, as the user named it (for messages). */
  public String source() {
    return source;
  }

  /** Names the source gave it (RepoTags, ref names); may be empty. */
  public List<String> names() {
    return names;
  }

  /**
   * A tag the source gave the image without naming a repository (an OCI layout's ref name {@code
   * v3}), or null. It is not one of {@link #names()}: copied elsewhere, the image is unnamed, as
   * skopeo copies it. A local store names the loaded image after it ({@code v3:latest}), as {@code
   * podman load} does.
   */
  public String layoutTag() {
    return layoutTag;
  }

  /** The same image with a {@link #layoutTag()}. */
  public Image withLayoutTag(String tag) {
    return renamed(names, tag);
  }

  public byte[] configBytes() {
    return configBytes.clone();
  }

  /** sha256 of the config bytes: the image id. */
  public Digest configDigest() {
    return configDigest;
  }

  /** The parsed config; treat as read-only. */
  public ObjectNode config() {
    return config;
  }

  /** The manifest as read, or null for formats without one (legacy docker-archive). */
  public byte[] manifestBytes() {
    return manifestBytes == null ? null : manifestBytes.clone();
  }

  public String manifestMediaType() {
    return manifestMediaType;
  }

  /** Digest of the manifest bytes, or null when there is no manifest. */
  public Digest manifestDigest() {
    return manifestBytes == null ? null : Digest.sha256(manifestBytes);
  }

  /** Bottom layer first. */
  public List<Layer> layers() {
    return layers;
  }

  /** The os/architecture/variant the config declares. */
  public Platform platform() {
    return Platform.of(
        Json.optText(config, "os"),
        Json.optText(config, "architecture"),
        Json.optText(config, "variant"));
  }

  /**
   * The DiffIDs listed by a config ({@code rootfs.diff_ids}).
   *
   * @throws InvalidImageException naming {@code what} if the list is missing or malformed
   */
  public static List<Digest> diffIds(JsonNode config, String what) throws InvalidImageException {
    JsonNode rootfs = config.get("rootfs");
    if (rootfs == null || !rootfs.isObject()) {
      throw new InvalidImageException(what + ": config has no rootfs section");
    }
    List<Digest> out = new ArrayList<>();
    for (String s : Json.textList(rootfs, "diff_ids", what + " rootfs")) {
      try {
        out.add(Digest.parse(s));
      } catch (IllegalArgumentException e) {
        throw new InvalidImageException(what + ": rootfs.diff_ids: " + e.getMessage());
      }
    }
    return out;
  }

  /**
   * The same image with another config (e.g. after {@code --change}); the manifest is dropped since
   * it no longer matches. The new config must list the same DiffIDs.
   *
   * @throws InvalidImageException if the config is not valid or its DiffIDs differ
   */
  public Image withConfig(byte[] newConfig) throws InvalidImageException {
    Builder b =
        builder()
            .source(source)
            .names(names)
            .layoutTag(layoutTag)
            .config(newConfig, source + ": config");
    List<Digest> ids = diffIds(b.config, source);
    if (ids.size() != layers.size()) {
      throw new InvalidImageException(source + ": new config lists a different number of layers");
    }
    for (int i = 0; i < ids.size(); i++) {
      if (!ids.get(i).equals(layers.get(i).diffId())) {
        throw new InvalidImageException(source + ": new config changes DiffID " + (i + 1));
      }
    }
    layers.forEach(b::addLayer);
    return b.build();
  }

  /**
   * The same image with its layers replaced one for one (e.g. by layers whose sources report
   * progress); DiffIDs must not change.
   */
  public Image withLayers(List<Layer> newLayers) {
    if (newLayers.size() != layers.size()) {
      throw new IllegalArgumentException("layer count changed");
    }
    for (int i = 0; i < newLayers.size(); i++) {
      if (!newLayers.get(i).diffId().equals(layers.get(i).diffId())) {
        throw new IllegalArgumentException("DiffID of layer " + (i + 1) + " changed");
      }
    }
    Builder b = builder().source(source).names(names).layoutTag(layoutTag);
    b.configBytes = configBytes.clone();
    b.config = config;
    b.manifestBytes = manifestBytes;
    b.manifestMediaType = manifestMediaType;
    newLayers.forEach(b::addLayer);
    return b.build();
  }

  /** The same image under other names. */
  public Image withNames(List<String> newNames) {
    return renamed(newNames, layoutTag);
  }

  private Image renamed(List<String> newNames, String tag) {
    Builder b = builder().source(source).names(newNames).layoutTag(tag);
    b.configBytes = configBytes.clone();
    b.config = config;
    b.manifestBytes = manifestBytes;
    b.manifestMediaType = manifestMediaType;
    layers.forEach(b::addLayer);
    return b.build();
  }

  @Override
  public String toString() {
    return source + " (" + layers.size() + " layers, config " + configDigest.shortHex() + ")";
  }

  /** Builder for {@link Image}. */
  public static final class Builder {
    private String source;
    private final List<String> names = new ArrayList<>();
    private String layoutTag;
    private byte[] configBytes;
    private ObjectNode config;
    private byte[] manifestBytes;
    private String manifestMediaType;
    private final List<Layer> layers = new ArrayList<>();

    private Builder() {}

    public Builder source(String v) {
      source = v;
      return this;
    }

    public Builder names(List<String> v) {
      names.clear();
      names.addAll(v);
      return this;
    }

    /** See {@link Image#layoutTag()}. */
    public Builder layoutTag(String v) {
      layoutTag = v;
      return this;
    }

    /** Sets the config from its exact bytes (parsed here). */
    public Builder config(byte[] bytes, String what) throws InvalidImageException {
      configBytes = bytes.clone();
      config = Json.parseObject(bytes, what);
      return this;
    }

    public Builder manifest(byte[] bytes, String mediaType) {
      manifestBytes = bytes == null ? null : bytes.clone();
      manifestMediaType = mediaType;
      return this;
    }

    public Builder addLayer(Layer l) {
      layers.add(l);
      return this;
    }

    public Image build() {
      return new Image(this);
    }
  }
}
