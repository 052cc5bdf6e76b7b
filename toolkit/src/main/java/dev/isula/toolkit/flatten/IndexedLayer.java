package dev.isula.toolkit.flatten;

import dev.isula.toolkit.api.InvalidImageException;
import dev.isula.toolkit.api.IsulaException;
import dev.isula.toolkit.api.UnsafeEntryException;
import dev.isula.toolkit.blob.FileRange;
import dev.isula.toolkit.compress.Compression;
import dev.isula.toolkit.image.Layer;
import dev.isula.toolkit.image.LayerStream;
import dev.isula.toolkit.tar.EntryNames;
import dev.isula.toolkit.tar.EntryType;
import dev.isula.toolkit.tar.TarEntry;
import dev.isula.toolkit.tar.TarReader;
import java.io.BufferedInputStream;
import java.io.EOFException;
import java.io.IOException;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Optional;
import java.util.Set;

/**
 * An upper layer read once, verified, and kept as headers plus a place to fetch contents from
 * later: the layer file itself when it is an uncompressed range of a local file, else a spool of
 * its file contents.
 */
final class IndexedLayer implements AutoCloseable {
  /** One entry with its canonical name; {@code offset} locates file content in {@link #store}. */
  record Entry(TarEntry header, WhiteoutRules.Kind kind, long offset, String hardlinkTarget) {}

  final int layerIndex;
  final String describe;
  final List<Entry> entries = new ArrayList<>();
  ContentStore store;

  /** Names of the non-directory entries so far, to tell a no-op self-hardlink from a bad one. */
  private final Set<String> nonDirectories = new HashSet<>();

  private IndexedLayer(int layerIndex, String describe) {
    this.layerIndex = layerIndex;
    this.describe = describe;
  }

  static IndexedLayer read(Layer layer) throws IOException, IsulaException {
    IndexedLayer idx = new IndexedLayer(layer.index(), layer.describe());
    try (LayerStream s = layer.openVerified()) {
      Optional<FileRange> range =
          s.compression() == Compression.NONE ? layer.source().fileRange() : Optional.empty();
      Spool spool = null;
      if (range.isPresent()) {
        idx.store = new RangeStore(range.get());
      } else {
        spool = new Spool();
        idx.store = spool;
      }
      TarReader reader = new TarReader(new BufferedInputStream(s, 1 << 16));
      TarEntry e;
      try {
        while ((e = reader.next()) != null) {
          idx.add(e, reader, spool);
        }
      } catch (EOFException ex) {
        throw new InvalidImageException(idx.describe + ": " + ex.getMessage());
      } catch (LayerStream.LayerReadException ex) {
        throw new InvalidImageException(ex.getMessage(), ex);
      } catch (InvalidImageException ex) {
        throw relabel(ex, idx.describe);
      }
      s.verify();
      return idx;
    } catch (IOException | IsulaException | RuntimeException ex) {
      idx.close();
      throw ex;
    }
  }

  private void add(TarEntry e, TarReader reader, Spool spool) throws IOException, IsulaException {
    String name = EntryNames.normalize(e.name());
    if (name.isEmpty()) {
      return; // the root directory entry ("./"): its attributes are not part of a rootfs tar
    }
    WhiteoutRules.Kind kind = WhiteoutRules.classify(name);
    String linkTarget = null;
    if (kind == WhiteoutRules.Kind.NORMAL && e.type() == EntryType.HARDLINK) {
      linkTarget = EntryNames.normalizeLinkTarget(e.name(), e.linkName());
      if (linkTarget.equals(name)) {
        if (nonDirectories.contains(name)) {
          // what GNU tar writes for a path given twice (tar -cf x.tar a a); extracting it
          // links the file to itself, which changes nothing
          return;
        }
        throw new UnsafeEntryException(
            "hardlink '" + TarReader.printable(name) + "' points to itself");
      }
    }
    if (kind == WhiteoutRules.Kind.NORMAL) {
      if (e.isDirectory()) {
        nonDirectories.remove(name);
      } else {
        nonDirectories.add(name);
      }
    }
    long offset = -1;
    if (kind == WhiteoutRules.Kind.NORMAL && e.isFile()) {
      if (spool != null) {
        offset = spool.append(reader.content(), e.size());
      } else if (reader.isSparse()) {
        offset = ((RangeStore) store).appendExpanded(reader.content(), e.size());
      } else {
        offset = reader.dataOffset();
      }
    }
    entries.add(new Entry(e.withName(name), kind, offset, linkTarget));
  }

  static InvalidImageException relabel(InvalidImageException ex, String describe) {
    if (ex.getMessage() != null && ex.getMessage().startsWith(describe)) {
      return ex;
    }
    if (ex instanceof UnsafeEntryException) {
      return new UnsafeEntryException(describe + ": " + ex.getMessage());
    }
    return new InvalidImageException(describe + ": " + ex.getMessage(), ex);
  }

  @Override
  public void close() throws IOException {
    if (store != null) {
      store.close();
    }
  }
}
