package dev.isula.format.registry;

import com.fasterxml.jackson.databind.JsonNode;
import dev.isula.toolkit.api.InvalidImageException;
import dev.isula.toolkit.api.IsulaException;
import dev.isula.toolkit.blob.BlobSource;
import dev.isula.toolkit.hash.Digest;
import dev.isula.toolkit.image.Descriptor;
import dev.isula.toolkit.image.Image;
import dev.isula.toolkit.image.ManifestResolver;
import dev.isula.toolkit.json.Json;
import dev.isula.toolkit.spi.ImageSource;
import dev.isula.toolkit.spi.ReadOptions;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Reads an image from a registry: the manifest (or index, resolved to {@code --platform}) by tag or
 * digest, the config, and layers as {@link RegistryBlob}s that stream from the registry when
 * opened. Manifests and indexes are fetched from the manifests endpoint, everything else from the
 * blobs endpoint; {@link ManifestResolver} does the selection and verification.
 */
final class RegistryReader {
  private RegistryReader() {}

  static ImageSource open(RegistryReference ref, ReadOptions options)
      throws IsulaException, IOException {
    RegistrySettings settings =
        RegistrySettings.from(options::property, options.threads(), options.log());
    RegistryClient client = RegistryClient.connect(ref, settings);
    String source = ref.toString();
    RegistryClient.Manifest top =
        client.manifest(
            ref.repository(),
            ref.manifestReference(),
            "no image " + ref.repositoryAndReference() + " on " + ref.host());
    ManifestBlobs blobs = new ManifestBlobs(client, ref.repository());
    blobs.add(top.digest(), top.bytes());
    Descriptor d = Descriptor.of(top.mediaType(), top.digest(), top.bytes().length);
    List<String> names = new ArrayList<>();
    if (ref.imageName() != null) {
      names.add(ref.imageName());
    }
    Image image = new ManifestResolver(blobs, source).resolve(d, options.platform(), names);
    return new ImageSource() {
      @Override
      public Image image() {
        return image;
      }

      @Override
      public void close() {
        // nothing held open: every blob stream is closed by its reader
      }
    };
  }

  /**
   * Blob lookup for the resolver. Digests listed in an index are manifests, served by the manifests
   * endpoint; the rest are blobs.
   */
  private static final class ManifestBlobs implements ManifestResolver.Blobs {
    private final RegistryClient client;
    private final String repository;
    private final Map<Digest, byte[]> manifests = new ConcurrentHashMap<>();
    private final Set<Digest> manifestDigests = ConcurrentHashMap.newKeySet();

    ManifestBlobs(RegistryClient client, String repository) {
      this.client = client;
      this.repository = repository;
    }

    void add(Digest digest, byte[] bytes) {
      manifests.put(digest, bytes);
      // an index: its entries are manifests (or nested indexes)
      try {
        JsonNode doc = Json.parse(bytes, "manifest");
        JsonNode list = doc.get("manifests");
        if (list != null && list.isArray()) {
          for (JsonNode m : list) {
            Digest child = Digest.tryParse(Json.optText(m, "digest"));
            if (child != null) {
              manifestDigests.add(child);
            }
          }
        }
      } catch (InvalidImageException e) {
        // not JSON: the resolver reports it when it parses the same bytes
      }
    }

    @Override
    public BlobSource get(Digest digest) throws IsulaException {
      byte[] known = manifests.get(digest);
      if (known != null) {
        return () -> new ByteArrayInputStream(known);
      }
      if (manifestDigests.contains(digest)) {
        try {
          RegistryClient.Manifest m =
              client.manifest(
                  repository,
                  digest.toString(),
                  "no manifest " + digest + " in " + repository + " on " + client.host());
          add(digest, m.bytes());
          byte[] bytes = m.bytes();
          return () -> new ByteArrayInputStream(bytes);
        } catch (IOException e) {
          throw new InvalidImageException(client.host() + ": " + e.getMessage(), e);
        }
      }
      return new RegistryBlob(client, repository, digest);
    }
  }
}
