package dev.isula.format.registry;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.isula.toolkit.api.DigestMismatchException;
import dev.isula.toolkit.api.InvalidImageException;
import dev.isula.toolkit.api.IsulaException;
import dev.isula.toolkit.api.UsageException;
import dev.isula.toolkit.compress.Compression;
import dev.isula.toolkit.hash.Digest;
import dev.isula.toolkit.hash.DigestingInputStream;
import dev.isula.toolkit.image.Image;
import dev.isula.toolkit.image.Layer;
import dev.isula.toolkit.image.LayerBlobs;
import dev.isula.toolkit.image.MediaTypes;
import dev.isula.toolkit.io.Futures;
import dev.isula.toolkit.json.Json;
import dev.isula.toolkit.spi.ImageSink;
import dev.isula.toolkit.spi.WriteOptions;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.URI;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;

/**
 * Pushes one image to a registry repository: every layer, then the config, then the manifest (so
 * the tag only ever points at a complete image). For each blob it asks first whether the repository
 * has it ({@code HEAD}); if not, and the layer comes from another repository of the same registry,
 * it mounts it from there; otherwise it uploads it, several layers at a time. Layers already in the
 * wanted compression go out as they are, streamed from their source and verified against their
 * digest on the way (a mismatch cancels the upload before it is committed); the image's own
 * manifest is pushed unchanged when every layer was, so the manifest digest survives a copy.
 */
final class RegistrySink implements ImageSink {
  private final RegistryReference ref;
  private final WriteOptions options;
  private final RegistrySettings settings;
  private final RegistryClient client;

  RegistrySink(RegistryReference ref, WriteOptions options) throws IsulaException, IOException {
    this.ref = ref;
    this.options = options;
    this.settings = RegistrySettings.from(options::property, options.threads(), options.log());
    this.client = RegistryClient.connect(ref, settings);
  }

  @Override
  public Compression layerCompression(Compression requested) {
    return requested == null ? Compression.GZIP : requested;
  }

  /** What ended up in the repository for one layer. */
  private record Pushed(String mediaType, Digest digest, long size, boolean asIs) {}

  /** Bytes of a blob, written to an upload. */
  private interface Content {
    void writeTo(OutputStream out) throws IOException, IsulaException;
  }

  @Override
  public void write(Image image) throws IOException, IsulaException {
    String reference = manifestReference();
    String repo = ref.repository();
    String mountFrom = mountSource(image);
    List<Pushed> layers = pushLayers(image, mountFrom);
    byte[] config = image.configBytes();
    String action =
        ensureBlob(image.configDigest(), config.length, mountFrom, out -> out.write(config));
    log("config " + image.configDigest().shortHex() + ": " + action);
    byte[] manifest;
    String mediaType;
    boolean unchanged = layers.stream().allMatch(Pushed::asIs);
    String original = image.manifestMediaType();
    if (unchanged
        && image.manifestBytes() != null
        && (MediaTypes.OCI_MANIFEST.equals(original)
            || MediaTypes.DOCKER_MANIFEST.equals(original))) {
      manifest = image.manifestBytes();
      mediaType = original;
    } else {
      manifest = ociManifest(config, layers);
      mediaType = MediaTypes.OCI_MANIFEST;
    }
    Digest digest = Digest.sha256(manifest);
    if (ref.digest() != null && !ref.digest().equals(digest)) {
      throw new UsageException(
          ref + ": the manifest to push has digest " + digest + "; push by tag, or to that digest");
    }
    Digest reported = client.putManifest(repo, reference, manifest, mediaType);
    if (reported != null && !reported.equals(digest)) {
      throw new InvalidImageException(
          ref + ": the registry stored the manifest as " + reported + ", not " + digest);
    }
    log(
        "wrote "
            + ref.host()
            + "/"
            + repo
            + (ref.digest() != null ? "@" : ":")
            + reference
            + " (manifest "
            + digest
            + ")");
  }

  /**
   * The repository to mount blobs from: that of an image read from another repository of this
   * registry (its layers and config are there), else null.
   */
  private String mountSource(Image image) {
    String source = image.source();
    if (!source.startsWith("docker://")) {
      return null;
    }
    try {
      RegistryReference from = RegistryReference.parse(source.substring("docker:".length()));
      return from.apiHost().equals(ref.apiHost()) && !from.repository().equals(ref.repository())
          ? from.repository()
          : null;
    } catch (UsageException e) {
      return null;
    }
  }

  /** The tag (or digest) to put the manifest under. */
  private String manifestReference() {
    if (ref.explicitTag() || options.name() == null) {
      return ref.manifestReference();
    }
    String name = options.name();
    int at = name.indexOf('@');
    if (at >= 0) {
      name = name.substring(0, at);
    }
    int colon = name.lastIndexOf(':');
    return colon > name.lastIndexOf('/') ? name.substring(colon + 1) : ref.manifestReference();
  }

  private List<Pushed> pushLayers(Image image, String mountFrom)
      throws IOException, IsulaException {
    List<Layer> layers = image.layers();
    int parallel = Math.min(settings.parallel(), Math.max(1, layers.size()));
    if (parallel <= 1) {
      List<Pushed> out = new ArrayList<>();
      for (Layer l : layers) {
        out.add(pushLayer(l, mountFrom));
      }
      return out;
    }
    ExecutorService pool =
        Executors.newFixedThreadPool(
            parallel,
            r -> {
              Thread t = new Thread(r, "registry-upload");
              t.setDaemon(true);
              return t;
            });
    List<Future<Pushed>> futures = new ArrayList<>();
    try {
      for (Layer l : layers) {
        futures.add(pool.submit(() -> pushLayer(l, mountFrom)));
      }
      List<Pushed> out = new ArrayList<>();
      for (Future<Pushed> f : futures) {
        out.add(Futures.await(f));
      }
      return out;
    } finally {
      for (Future<Pushed> f : futures) {
        f.cancel(true);
      }
      pool.shutdownNow();
      try {
        // let cancelled uploads abort their sessions and remove their scratch files
        pool.awaitTermination(30, java.util.concurrent.TimeUnit.SECONDS);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
    }
  }

  private Pushed pushLayer(Layer layer, String from) throws IOException, IsulaException {
    if (options.compression() == null
        && layer.digest() != null
        && layer.size() >= 0
        && MediaTypes.isLayer(layer.mediaType())) {
      // as it is: nothing needs to be read unless the registry lacks it
      String action =
          ensureBlob(layer.digest(), layer.size(), from, out -> copyVerified(layer, out));
      log(layer.describe() + ": " + action);
      return new Pushed(ociLayerType(layer.mediaType()), layer.digest(), layer.size(), true);
    }
    try (LayerBlobs.Prepared p =
        LayerBlobs.prepare(layer, options.compression(), options.threads())) {
      String action = ensureBlob(p.digest(), p.size(), p.asIs() ? from : null, p::copyTo);
      log(layer.describe() + ": " + action);
      return new Pushed(p.ociMediaType(), p.digest(), p.size(), p.asIs());
    }
  }

  /** Streams a layer's stored bytes, failing before the end if they are not what it claims. */
  private static void copyVerified(Layer layer, OutputStream out)
      throws IOException, IsulaException {
    try (InputStream raw = layer.source().open()) {
      DigestingInputStream in = new DigestingInputStream(raw, layer.digest().algorithm());
      byte[] buf = new byte[1 << 20];
      int n;
      while ((n = in.read(buf, 0, buf.length)) >= 0) {
        out.write(buf, 0, n);
      }
      if (in.count() != layer.size()) {
        throw new InvalidImageException(
            layer.describe() + ": blob is " + in.count() + " bytes, expected " + layer.size());
      }
      if (!in.digest().equals(layer.digest())) {
        throw new DigestMismatchException(layer.describe(), layer.digest(), in.digest());
      }
    }
  }

  /**
   * Makes sure the repository has the blob: already there, mounted from repository {@code from} of
   * the same registry, or uploaded.
   *
   * @return what was done, for the progress line
   */
  private String ensureBlob(Digest digest, long size, String from, Content content)
      throws IOException, IsulaException {
    String repo = ref.repository();
    List<String> scopes = List.of(RegistryClient.pushScope(repo));
    if (client.blobExists(repo, digest, scopes)) {
      return "already in " + ref.host() + "/" + repo + ", skipped";
    }
    if (from != null && client.mount(repo, digest, from)) {
      return "mounted from " + from;
    }
    upload(digest, size, content, scopes);
    return "uploaded " + size + " bytes";
  }

  private void upload(Digest digest, long size, Content content, List<String> scopes)
      throws IOException, IsulaException {
    String repo = ref.repository();
    RetryPolicy retry = client.retryPolicy();
    for (int attempt = 0; ; attempt++) {
      URI session = client.startUpload(repo);
      BlobUpload up = new BlobUpload(client, repo, session, size, settings.chunkSize());
      try {
        content.writeTo(up);
        up.finish(digest);
        return;
      } catch (BlobUpload.UploadFailure f) {
        up.abort();
        if (!f.retryable()) {
          throw f.registryError();
        }
        if (attempt >= retry.retries()) {
          throw new RegistryException(
              client.host()
                  + ": upload of "
                  + digest.shortHex()
                  + " failed after "
                  + (attempt + 1)
                  + " attempts: "
                  + f.getMessage(),
              f.registryError().status());
        }
        java.time.Duration d = retry.delay(attempt + 1, null);
        log(
            String.format(
                java.util.Locale.ROOT,
                "%s: upload of %s failed (%s); starting it again in %.1fs (%d/%d)",
                client.host(),
                digest.shortHex(),
                f.getMessage(),
                d.toMillis() / 1000.0,
                attempt + 1,
                retry.retries()));
        RetryPolicy.sleep(d);
        if (client.blobExists(repo, digest, scopes)) {
          return; // committed after all
        }
      } catch (IOException | IsulaException | RuntimeException e) {
        up.abort();
        throw e;
      }
    }
  }

  private void log(String line) {
    options.log().accept(line);
  }

  /** The OCI media type for a layer media type (Docker's have OCI equivalents). */
  static String ociLayerType(String mediaType) {
    return switch (mediaType) {
      case MediaTypes.DOCKER_LAYER -> MediaTypes.OCI_LAYER;
      case MediaTypes.DOCKER_LAYER_GZIP -> MediaTypes.OCI_LAYER_GZIP;
      case MediaTypes.DOCKER_LAYER_ZSTD -> MediaTypes.OCI_LAYER_ZSTD;
      case MediaTypes.DOCKER_FOREIGN_LAYER_GZIP -> MediaTypes.OCI_LAYER_ND_GZIP;
      default -> mediaType;
    };
  }

  private static byte[] ociManifest(byte[] config, List<Pushed> layers) {
    ObjectNode m = JsonNodeFactory.instance.objectNode();
    m.put("schemaVersion", 2);
    m.put("mediaType", MediaTypes.OCI_MANIFEST);
    ObjectNode c = m.putObject("config");
    c.put("mediaType", MediaTypes.OCI_CONFIG);
    c.put("digest", Digest.sha256(config).toString());
    c.put("size", config.length);
    ArrayNode arr = m.putArray("layers");
    for (Pushed p : layers) {
      ObjectNode l = arr.addObject();
      l.put("mediaType", p.mediaType());
      l.put("digest", p.digest().toString());
      l.put("size", p.size());
    }
    return Json.compact(m);
  }

  @Override
  public void close() {}
}
