package dev.isula.format.containersstorage;

import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonToken;
import com.fasterxml.jackson.databind.JsonNode;
import dev.isula.toolkit.hash.Digest;
import dev.isula.toolkit.json.Json;
import java.io.BufferedInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.zip.GZIPInputStream;

/**
 * A layer's tar rebuilt byte for byte from its {@code ID.tar-split.gz} and the files in the layer's
 * directory, as containers/storage rebuilds it for {@code podman save} and {@code skopeo copy}.
 *
 * <p>A tar-split file (github.com/vbatts/tar-split) is gzip'd JSON, one object per line: {@code
 * {"type":2,"payload":BASE64}} is a segment of raw tar bytes (headers, PAX records, padding, the
 * end-of-archive blocks) and {@code {"type":1,"name":NAME,"size":N,"payload":CRC}} stands for the N
 * content bytes of file NAME, whose CRC-64 (ISO polynomial, big-endian, base64) it records. A name
 * that is not valid UTF-8 comes as base64 {@code name_raw} instead.
 *
 * <p>Every file's bytes are checked against their CRC-64 and the whole stream against the layer's
 * recorded {@code diff-digest} and {@code diff-size} as it is read; a mismatch fails the read at
 * that point (at the end, for the digest), with a message naming the store, image and layer.
 */
final class TarSplitStream extends InputStream {
  private final Path tarSplit;
  private final Path root;
  private Path rootReal;

  /** Directories already seen to lie inside the layer directory. */
  private final java.util.Set<Path> checkedDirs = new java.util.HashSet<>();

  private final Digest expected;
  private final long expectedSize;
  private final String where;
  private final Map<String, Path> substitutes;
  private final InputStream raw;
  private final JsonParser json;
  private final MessageDigest sha;
  private long count;

  private byte[] segment;
  private int segmentPos;

  private InputStream file;
  private String fileName;
  private long fileLeft;
  private long fileCrc;
  private Crc64 crc;

  private boolean done;

  /**
   * @param root the directory the files are read from (a vfs snapshot or an overlay diff)
   * @param expected the recorded {@code diff-digest}
   * @param expectedSize the recorded {@code diff-size}, or -1
   * @param where "STORE IMAGE: layer ID", for messages
   * @param substitutes files to read instead of missing AUFS hard-link files (see {@link #check})
   */
  TarSplitStream(
      Path tarSplit,
      Path root,
      Digest expected,
      long expectedSize,
      String where,
      Map<String, Path> substitutes)
      throws IOException {
    this.substitutes = substitutes;
    this.tarSplit = tarSplit;
    this.root = root;
    this.expected = expected;
    this.expectedSize = expectedSize;
    this.where = where;
    this.sha = expected.newHasher();
    InputStream in = Files.newInputStream(tarSplit);
    try {
      this.raw = new GZIPInputStream(new BufferedInputStream(in, 1 << 16), 1 << 16);
      this.json = Json.mapper().getFactory().createParser(raw);
    } catch (IOException | RuntimeException e) {
      in.close();
      throw new IOException(where + ": cannot read " + tarSplit + ": " + e.getMessage(), e);
    }
  }

  /**
   * What a look through a tar-split file found.
   *
   * @param unusable why it cannot rebuild the layer's tar, or null if it can
   * @param substitutes for AUFS hard-link files the layer directory lacks, a file of the layer with
   *     the same size and CRC-64
   */
  record Check(String unusable, Map<String, Path> substitutes) {}

  /**
   * Reads a tar-split file through to see whether it can rebuild the layer's tar. It cannot when it
   * holds no tar bytes (its first entry is not a segment, though every tar starts with a header:
   * iSulad's files list the entries only). A layer that had AUFS hard-link files ({@code
   * .wh..wh.plnk/...}) needs their content, which containers/storage extracts to a scratch
   * directory instead of the layer (so {@code podman save} fails on such a layer); the files that
   * were linked to them carry the same bytes, so one with the same size and CRC-64 stands in, and
   * the digest check at the end proves the choice right.
   */
  static Check check(Path tarSplit, Path layerDir) throws IOException {
    Map<String, long[]> aufs = new LinkedHashMap<>();
    try (InputStream in =
            new GZIPInputStream(new BufferedInputStream(Files.newInputStream(tarSplit), 1 << 16));
        JsonParser p = Json.mapper().getFactory().createParser(in)) {
      boolean first = true;
      JsonToken t;
      while ((t = p.nextToken()) != null) {
        if (t != JsonToken.START_OBJECT) {
          throw new IOException("not a tar-split file");
        }
        JsonNode e = p.readValueAsTree();
        int type = e.path("type").asInt(-1);
        if (first && type != 2) {
          return new Check(
              "has a tar-split file without tar headers (as iSulad writes them)", Map.of());
        }
        first = false;
        long size = e.path("size").asLong(0);
        if (type == 1 && size > 0) {
          String name = clean(e.path("name").asText(""));
          if (name != null
              && name.startsWith(".wh..wh.")
              && !Files.exists(layerDir.resolve(name), LinkOption.NOFOLLOW_LINKS)) {
            byte[] sum = e.path("payload").binaryValue();
            aufs.put(name, new long[] {size, sum == null ? 0 : bigEndian(sum)});
          }
        }
      }
      if (first) {
        return new Check("has an empty tar-split file", Map.of());
      }
    }
    if (aufs.isEmpty()) {
      return new Check(null, Map.of());
    }
    Map<String, Path> found = new HashMap<>();
    try (var files = Files.walk(layerDir)) {
      for (Path f : (Iterable<Path>) files::iterator) {
        if (found.size() == aufs.size()) {
          break;
        }
        if (!Files.isRegularFile(f, LinkOption.NOFOLLOW_LINKS)) {
          continue;
        }
        long size = Files.size(f);
        long crc = -1;
        for (Map.Entry<String, long[]> a : aufs.entrySet()) {
          if (!found.containsKey(a.getKey()) && a.getValue()[0] == size) {
            if (crc == -1) {
              crc = crcOf(f);
            }
            if (crc == a.getValue()[1]) {
              found.put(a.getKey(), f);
            }
          }
        }
      }
    }
    for (String name : aufs.keySet()) {
      if (!found.containsKey(name)) {
        return new Check(
            "has a tar-split file that needs the AUFS hard-link file "
                + name
                + ", which containers/storage does not keep in the layer, and no file of the layer"
                + " has its content (podman save fails on it too)",
            Map.of());
      }
    }
    return new Check(null, Map.copyOf(found));
  }

  /**
   * The CRC-64 a tar-split file records for each file with content, by name relative to the layer
   * (for checking a layer made from its directory when the file cannot rebuild the tar).
   */
  static Map<String, Long> fileChecksums(Path tarSplit) throws IOException {
    Map<String, Long> out = new HashMap<>();
    try (InputStream in =
            new GZIPInputStream(new BufferedInputStream(Files.newInputStream(tarSplit), 1 << 16));
        JsonParser p = Json.mapper().getFactory().createParser(in)) {
      JsonToken t;
      while ((t = p.nextToken()) != null) {
        if (t != JsonToken.START_OBJECT) {
          throw new IOException("not a tar-split file");
        }
        JsonNode e = p.readValueAsTree();
        JsonNode payload = e.get("payload");
        String name = clean(e.path("name").asText(""));
        if (e.path("type").asInt() == 1
            && e.path("size").asLong(0) > 0
            && name != null
            && payload != null
            && !payload.isNull()) {
          byte[] sum = payload.binaryValue();
          if (sum != null && sum.length == 8) {
            out.put(name, bigEndian(sum));
          }
        }
      }
    }
    return out;
  }

  static long crcOf(Path f) throws IOException {
    Crc64 c = new Crc64();
    byte[] buf = new byte[1 << 16];
    try (InputStream in = Files.newInputStream(f, LinkOption.NOFOLLOW_LINKS)) {
      int n;
      while ((n = in.read(buf)) > 0) {
        c.update(buf, 0, n);
      }
    }
    return c.value();
  }

  private static long bigEndian(byte[] sum) {
    long v = 0;
    for (byte x : sum) {
      v = (v << 8) | (x & 0xff);
    }
    return v;
  }

  /** {@code name} relative to the layer root, or null if it is empty or leaves the layer. */
  static String clean(String name) {
    StringBuilder clean = new StringBuilder();
    for (String part : name.split("/")) {
      if (part.isEmpty() || part.equals(".")) {
        continue;
      }
      if (part.equals("..")) {
        return null;
      }
      if (clean.length() > 0) {
        clean.append('/');
      }
      clean.append(part);
    }
    return clean.length() == 0 ? null : clean.toString();
  }

  @Override
  public int read() throws IOException {
    byte[] one = new byte[1];
    int n = read(one, 0, 1);
    return n < 0 ? -1 : one[0] & 0xff;
  }

  @Override
  public int read(byte[] b, int off, int len) throws IOException {
    if (len == 0) {
      return 0;
    }
    while (true) {
      if (segment != null) {
        int n = Math.min(len, segment.length - segmentPos);
        if (n > 0) {
          System.arraycopy(segment, segmentPos, b, off, n);
          segmentPos += n;
          return emitted(b, off, n);
        }
        segment = null;
      }
      if (file != null) {
        if (fileLeft == 0) {
          finishFile();
          continue;
        }
        int n = file.read(b, off, (int) Math.min(len, fileLeft));
        if (n < 0) {
          throw new IOException(
              where
                  + ": "
                  + fileName
                  + " is shorter in "
                  + root
                  + " than its tar-split record says (changed after the layer was stored?)");
        }
        crc.update(b, off, n);
        fileLeft -= n;
        return emitted(b, off, n);
      }
      if (done || !nextEntry()) {
        finish();
        return -1;
      }
    }
  }

  private int emitted(byte[] b, int off, int n) {
    sha.update(b, off, n);
    count += n;
    return n;
  }

  /** Loads the next entry; false at the end of the tar-split. */
  private boolean nextEntry() throws IOException {
    JsonToken t;
    try {
      t = json.nextToken();
      if (t == null) {
        return false;
      }
      if (t != JsonToken.START_OBJECT) {
        throw new IOException("expected an object");
      }
      JsonNode e = json.readValueAsTree();
      int type = e.path("type").asInt(-1);
      if (type == 2) {
        JsonNode payload = e.get("payload");
        segment = payload == null || payload.isNull() ? new byte[0] : payload.binaryValue();
        segmentPos = 0;
        return true;
      }
      if (type != 1) {
        throw new IOException("entry of unknown type " + e.path("type"));
      }
      long size = e.path("size").asLong(0);
      if (size <= 0) {
        return true; // directories, links, devices, empty files: all in the segments
      }
      String name = name(e);
      JsonNode payload = e.get("payload");
      byte[] sum = payload == null || payload.isNull() ? null : payload.binaryValue();
      if (sum == null || sum.length != 8) {
        throw new IOException(name + ": no CRC-64 recorded for a file of " + size + " bytes");
      }
      openFile(name, size, bigEndian(sum));
      return true;
    } catch (IOException ex) {
      if (ex.getMessage() != null && ex.getMessage().startsWith(where)) {
        throw ex;
      }
      throw new IOException(where + ": " + tarSplit.getFileName() + ": " + ex.getMessage(), ex);
    }
  }

  private static String name(JsonNode e) throws IOException {
    JsonNode n = e.get("name");
    if (n != null && n.isTextual() && !n.asText().isEmpty()) {
      return n.asText();
    }
    JsonNode rawName = e.get("name_raw");
    if (rawName != null && !rawName.isNull()) {
      byte[] bytes = rawName.binaryValue();
      String s = new String(bytes, StandardCharsets.UTF_8);
      if (!java.util.Arrays.equals(s.getBytes(StandardCharsets.UTF_8), bytes)) {
        throw new IOException(
            "a file name that is not valid UTF-8 cannot be opened by this reader: "
                + java.util.HexFormat.of().formatHex(bytes));
      }
      return s;
    }
    throw new IOException("a file entry without a name");
  }

  private void openFile(String name, long size, long recorded) throws IOException {
    String c = clean(name);
    Path p = c != null && substitutes.containsKey(c) ? substitutes.get(c) : resolve(name);
    InputStream in;
    try {
      in = Files.newInputStream(p, LinkOption.NOFOLLOW_LINKS);
    } catch (NoSuchFileException e) {
      throw new IOException(
          where + ": " + name + " is missing from " + root + " (layer removed or damaged?)", e);
    } catch (IOException e) {
      throw new IOException(where + ": cannot read " + p + ": " + e.getMessage(), e);
    }
    file = in; // read straight into the caller's (large) buffer
    fileName = name;
    fileLeft = size;
    fileCrc = recorded;
    crc = new Crc64();
  }

  /** The file's path under the layer directory; names never leave it. */
  private Path resolve(String name) throws IOException {
    String clean = clean(name);
    if (clean == null) {
      throw new IOException(
          where + ": tar-split names a file outside the layer, or the layer root: " + name);
    }
    Path p = root.resolve(clean);
    Path parent = p.getParent();
    if (!parent.equals(root) && !checkedDirs.contains(parent)) {
      Path real;
      try {
        real = parent.toRealPath();
      } catch (NoSuchFileException e) {
        throw new IOException(
            where + ": " + name + " is missing from " + root + " (layer removed or damaged?)", e);
      }
      if (rootReal == null) {
        rootReal = root.toRealPath();
      }
      if (!real.startsWith(rootReal)) {
        throw new IOException(
            where + ": " + name + " leads outside " + root + " through a symlink");
      }
      checkedDirs.add(parent);
    }
    return p;
  }

  private void finishFile() throws IOException {
    try {
      if (file.read() >= 0) {
        throw new IOException(
            where
                + ": "
                + fileName
                + " is longer in "
                + root
                + " than its tar-split record says (changed after the layer was stored?)");
      }
    } finally {
      file.close();
      file = null;
    }
    if (crc.value() != fileCrc) {
      throw new IOException(
          where
              + ": "
              + fileName
              + " in "
              + root
              + " does not match the CRC-64 its tar-split records (changed after the layer was"
              + " stored?)");
    }
  }

  private void finish() throws IOException {
    if (done) {
      return;
    }
    done = true;
    Digest actual = Digest.fromHash(expected.algorithm(), sha.digest());
    if (expectedSize >= 0 && count != expectedSize) {
      throw new IOException(
          where + ": the rebuilt tar is " + count + " bytes, the store records " + expectedSize);
    }
    if (!actual.equals(expected)) {
      throw new IOException(
          where
              + ": the rebuilt tar does not match the layer's recorded diff-digest (expected "
              + expected
              + ", got "
              + actual
              + ")");
    }
  }

  @Override
  public void close() throws IOException {
    try {
      if (file != null) {
        file.close();
      }
    } finally {
      try {
        json.close();
      } finally {
        raw.close();
      }
    }
  }
}
