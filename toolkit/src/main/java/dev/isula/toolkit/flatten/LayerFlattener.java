package dev.isula.toolkit.flatten;

import dev.isula.toolkit.api.InvalidImageException;
import dev.isula.toolkit.api.IsulaException;
import dev.isula.toolkit.api.UnsafeEntryException;
import dev.isula.toolkit.image.Layer;
import dev.isula.toolkit.image.LayerStream;
import dev.isula.toolkit.io.Futures;
import dev.isula.toolkit.tar.EntryNames;
import dev.isula.toolkit.tar.EntrySink;
import dev.isula.toolkit.tar.EntryType;
import dev.isula.toolkit.tar.TarEntry;
import dev.isula.toolkit.tar.TarReader;
import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.function.Consumer;

/**
 * Applies an image's layers in order and writes the resulting root filesystem as one tar stream,
 * following the OCI image-spec changeset rules: upper layers win, {@code .wh.} whiteouts and opaque
 * markers hide lower content, a non-directory replacing a directory drops its lower children,
 * directory attributes come from the topmost layer, and hardlinks stay hardlinks where their target
 * survives and become regular files with the content they had where it does not.
 *
 * <p>How it streams: the upper layers are read first, in parallel, into an index of headers (their
 * file contents are spooled, or located in place when a layer is an uncompressed range of a local
 * file). Then the bottom layer, usually by far the largest, streams straight through to the output
 * with decompression on a second core, each entry checked against the upper index; finally the
 * surviving upper entries are written in layer order. Every entry is emitted once, at the position
 * of the entry that wins its path, with its parent directories before it and a hardlink's target
 * before the link, so the output is deterministic for a given image.
 *
 * <p>Every layer's blob digest and DiffID are verified while it is read; a mismatch or malformed
 * layer aborts with an exception naming the layer and entry, and the caller discards the output.
 */
public final class LayerFlattener {
  private final int threads;
  private final Consumer<String> log;

  private final PathNode root = new PathNode(null, "");
  private final List<IndexedLayer> uppers = new ArrayList<>();
  private final Map<Long, Inode> upperInodes = new HashMap<>();

  /** Emission state of bottom-layer paths that have no node (no upper layer mentions them). */
  private final PathStates bottomStates = new PathStates();

  /** Bottom-layer entries without a node that an upper layer hides: a link may still need them. */
  private final Map<String, Inode> hiddenBottom = new HashMap<>();

  /** Bottom-layer hardlinks without a node, written as links: the path their inode went to. */
  private final Map<String, String> bottomLinks = new HashMap<>();

  /** Read the bottom layer into the index like the others, instead of streaming it. */
  private boolean indexBottom;

  /** On a path the streamed bottom layer repeats, stop (to be run again indexed), not warn. */
  private boolean restartable;

  private boolean warnedRepeat;

  private EntrySink out;
  private Spool bottomSpool;
  private long entriesWritten;
  private LayerStream early;

  private LayerFlattener(int threads, Consumer<String> log) {
    this.threads = Math.max(1, threads);
    this.log = log;
  }

  /** A flattener using up to {@code threads} threads for reading upper layers. */
  public static LayerFlattener create(int threads, Consumer<String> log) {
    return new LayerFlattener(threads, log == null ? s -> {} : log);
  }

  /** A flattener with one thread per available core and no progress output. */
  public static LayerFlattener create() {
    return create(Runtime.getRuntime().availableProcessors(), null);
  }

  /** An output that can be thrown away and begun again, such as a file not yet in place. */
  public interface Output {
    /** A fresh, empty sink; called a second time after {@link #discard()}. */
    EntrySink open() throws IOException, IsulaException;

    /** Throws away everything written to the sink last opened. */
    void discard() throws IOException;
  }

  /**
   * Writes the merged filesystem of {@code layers} (bottom first) to a sink of {@code output}, then
   * finishes it. Each path is written once: if the bottom layer, streamed straight through, turns
   * out to hold a path twice (GNU tar's {@code -r}, {@code tar -cf x a a}), the output is discarded
   * and the bottom layer read again into the index with the others, so that the last entry for the
   * path wins, as extraction gives. A flattener instance is used once.
   *
   * @return the number of entries written
   * @throws InvalidImageException if a layer is corrupt, fails verification or breaks the rules
   */
  public long flatten(List<Layer> layers, Output output) throws IOException, IsulaException {
    restartable = true;
    try {
      return flatten(layers, output.open());
    } catch (RepeatedInBottom repeat) {
      log.accept(
          repeat.getMessage()
              + "; starting again with that layer indexed, to write each path once");
      output.discard();
      LayerFlattener again = new LayerFlattener(threads, log);
      again.indexBottom = true;
      return again.flatten(layers, output.open());
    }
  }

  /**
   * Writes the merged filesystem of {@code layers} (bottom first) to {@code writer} (a tar or a
   * directory), then finishes it. The output cannot be taken back: should the bottom layer hold a
   * path twice, both copies are written in layer order (extraction keeps the last) after a one-line
   * warning; {@link #flatten(List, Output)} writes such a path once. A flattener instance is used
   * once.
   *
   * @return the number of entries written
   * @throws InvalidImageException if a layer is corrupt, fails verification or breaks the rules
   */
  public long flatten(List<Layer> layers, EntrySink writer) throws IOException, IsulaException {
    this.out = writer;
    try {
      if (indexBottom && !layers.isEmpty()) {
        indexUppers(layers);
        buildTree();
        emitUppers();
      } else if (!layers.isEmpty()) {
        // The bottom layer starts decompressing now, on its own thread, while the upper layers
        // are indexed; a core left idle by the indexing is not wasted.
        early = layers.size() > 1 ? openEarly(layers.get(0)) : null;
        indexUppers(layers.subList(1, layers.size()));
        buildTree();
        streamBottom(layers.get(0));
        emitUppers();
      }
      writer.finish();
      return entriesWritten;
    } finally {
      closeAll();
    }
  }

  // ---- phase 1: index the upper layers ----

  private void indexUppers(List<Layer> layers) throws IOException, IsulaException {
    if (layers.isEmpty()) {
      return;
    }
    int n = Math.min(threads, layers.size());
    if (n <= 1) {
      for (Layer l : layers) {
        log.accept("reading " + l.describe());
        uppers.add(IndexedLayer.read(l));
      }
      return;
    }
    ExecutorService pool =
        Executors.newFixedThreadPool(
            n,
            r -> {
              Thread t = new Thread(r, "layer-index");
              t.setDaemon(true);
              return t;
            });
    List<Future<IndexedLayer>> futures = new ArrayList<>();
    try {
      for (Layer l : layers) {
        futures.add(
            pool.submit(
                () -> {
                  log.accept("reading " + l.describe());
                  return IndexedLayer.read(l);
                }));
      }
      for (Future<IndexedLayer> f : futures) {
        uppers.add(Futures.await(f));
      }
    } finally {
      pool.shutdownNow();
      // on failure, close whatever the other workers produced
      if (uppers.size() < futures.size()) {
        for (Future<IndexedLayer> f : futures) {
          try {
            IndexedLayer l = f.get();
            if (!uppers.contains(l)) {
              l.close();
            }
          } catch (Exception ignored) {
            // already reported or cancelled
          }
        }
      }
    }
  }

  private PathNode node(String path, boolean create) {
    PathNode n = root;
    int i = 0;
    while (i < path.length()) {
      int j = path.indexOf('/', i);
      if (j < 0) {
        j = path.length();
      }
      n = n.child(path.substring(i, j), create);
      if (n == null) {
        return null;
      }
      i = j + 1;
    }
    return n;
  }

  private void buildTree() throws InvalidImageException {
    for (IndexedLayer layer : uppers) {
      int l = layer.layerIndex;
      List<IndexedLayer.Entry> entries = layer.entries;
      for (int i = 0; i < entries.size(); i++) {
        IndexedLayer.Entry e = entries.get(i);
        String name = e.header().name();
        switch (e.kind()) {
          case WHITEOUT -> {
            PathNode t = node(WhiteoutRules.whiteoutTarget(name), true);
            t.hideSelf(l);
            t.hideChildren(l);
          }
          case OPAQUE -> node(WhiteoutRules.opaqueDirectory(name), true).hideChildren(l);
          case METADATA -> {}
          case NORMAL -> {
            PathNode n = node(name, true);
            n.addOccurrence(l, i);
            if (!e.header().isDirectory()) {
              n.hideChildren(l);
              n.replaceDescendants(l, i);
            }
          }
        }
      }
    }
    // mark the ancestors of every upper winner, to catch upper content under a lower non-directory
    for (IndexedLayer layer : uppers) {
      for (int i = 0; i < layer.entries.size(); i++) {
        IndexedLayer.Entry e = layer.entries.get(i);
        if (e.kind() != WhiteoutRules.Kind.NORMAL) {
          continue;
        }
        PathNode n = node(e.header().name(), false);
        if (isUpperWinner(n, layer.layerIndex, i)) {
          for (PathNode a = n.parent; a != null && !a.upperWinnerBelow; a = a.parent) {
            a.upperWinnerBelow = true;
          }
        }
      }
    }
  }

  private IndexedLayer upper(int layer) {
    return uppers.get(layer - (indexBottom ? 0 : 1));
  }

  private IndexedLayer.Entry entryAt(long occurrence) {
    return upper(PathNode.layerOf(occurrence)).entries.get(PathNode.indexOf(occurrence));
  }

  /** The upper occurrence that wins this path, or -1 if none does (absent or hidden). */
  private static long upperWinner(PathNode n) {
    long top = n.topOccurrence();
    if (top < 0 || n.hiddenFor(PathNode.layerOf(top))) {
      return -1;
    }
    return top;
  }

  private static boolean isUpperWinner(PathNode n, int layer, int index) {
    long w = upperWinner(n);
    return w >= 0 && PathNode.layerOf(w) == layer && PathNode.indexOf(w) == index;
  }

  // ---- phase 2: stream the bottom layer ----

  /**
   * The bottom layer opened ahead of time, allowed to read ahead a sixteenth of the heap (at most
   * 16 MiB, so young collections stay cheap); null if opening fails (streamBottom opens it again
   * and reports the error in order).
   */
  private static LayerStream openEarly(Layer layer) {
    long ahead = Math.min(16L << 20, Runtime.getRuntime().maxMemory() / 16);
    try {
      return LayerStream.openReadAhead(layer, ahead);
    } catch (IOException e) {
      return null;
    }
  }

  private void streamBottom(Layer layer) throws IOException, IsulaException {
    log.accept("applying " + layer.describe());
    String describe = layer.describe();
    LayerStream opened = early;
    early = null;
    try (LayerStream s = opened != null ? opened : layer.openVerifiedReadAhead()) {
      TarReader reader = new TarReader(s);
      TarEntry e;
      try {
        while ((e = reader.next()) != null) {
          bottomEntry(e, reader.content(), describe);
        }
      } catch (EOFException ex) {
        throw new InvalidImageException(describe + ": " + ex.getMessage());
      } catch (LayerStream.LayerReadException ex) {
        throw new InvalidImageException(ex.getMessage(), ex);
      } catch (InvalidImageException ex) {
        throw IndexedLayer.relabel(ex, describe);
      }
      s.verify();
    }
  }

  private void bottomEntry(TarEntry raw, InputStream content, String describe)
      throws IOException, IsulaException {
    String name = EntryNames.normalize(raw.name());
    if (name.isEmpty()) {
      return;
    }
    if (WhiteoutRules.classify(name) != WhiteoutRules.Kind.NORMAL) {
      return; // nothing lies below the bottom layer for a whiteout to hide
    }
    TarEntry e = raw.withName(name);
    if (e.type() == EntryType.HARDLINK
        && EntryNames.normalizeLinkTarget(raw.name(), raw.linkName()).equals(name)
        && bottomInodeAt(name) != null) {
      // what GNU tar writes for a path given twice (tar -cf x.tar a a): extracting it links the
      // file to itself, which changes nothing
      return;
    }
    // Paths an upper layer mentions have a node; the others (most of a big bottom layer) are
    // tracked in a compact table, so memory stays small for layers of a million files.
    PathNode n = node(name, false);
    if (n == null) {
      bottomEntryWithoutNode(e, content, describe);
      return;
    }
    boolean winner = !n.hasOccurrences() && !n.hiddenFor(0);
    if (winner && n.emitted) {
      repeated(name, describe);
    }
    if (e.type() == EntryType.HARDLINK) {
      Inode inode = bottomLinkTarget(raw, name);
      n.bottomInode = inode;
      if (winner) {
        checkNoUpperContentBelow(n, describe);
        ensureAncestors(n);
        emitInode(n, name, inode, e);
      }
      return;
    }
    if (!winner) {
      // replaced or deleted by an upper layer; keep what a surviving hardlink may still need
      n.bottomInode = hiddenInode(e, content);
      n.bottomDirectory = e.isDirectory();
      return;
    }
    if (e.isDirectory()) {
      ensureAncestors(n);
      write(n, name, e, null);
      return;
    }
    checkNoUpperContentBelow(n, describe);
    ensureAncestors(n);
    if (n.emittedDirectory) {
      throw new InvalidImageException(
          "entry '" + TarReader.printable(name) + "' replaces a directory of the same layer");
    }
    write(n, name, e, content);
    n.bottomInode = Inode.emittedAt(name);
  }

  /** A bottom entry no upper layer mentions by name (it may still be hidden by an ancestor). */
  private void bottomEntryWithoutNode(TarEntry e, InputStream content, String describe)
      throws IOException, IsulaException {
    String name = e.name();
    boolean hidden = hiddenByAncestor(name, 0, Integer.MAX_VALUE);
    if (!hidden && bottomStates.get(name) != 0) {
      repeated(name, describe);
    }
    if (e.type() == EntryType.HARDLINK) {
      Inode inode = bottomLinkTarget(e, name);
      if (hidden) {
        hiddenBottom.put(name, inode);
        return;
      }
      ensureAncestors(name);
      emitInode(null, name, inode, e);
      if (!name.equals(inode.emittedPath)) {
        bottomLinks.put(name, inode.emittedPath); // a later link to this one links there too
      }
      return;
    }
    if (hidden) {
      Inode inode = hiddenInode(e, content);
      if (inode != null) {
        hiddenBottom.put(name, inode);
      }
      return;
    }
    ensureAncestors(name);
    if (!e.isDirectory() && bottomStates.get(name) == PathStates.DIRECTORY) {
      throw new InvalidImageException(
          "entry '" + TarReader.printable(name) + "' replaces a directory of the same layer");
    }
    write(null, name, e, e.isFile() ? content : null);
  }

  /**
   * The streamed bottom layer has a second entry for {@code name} (or one after its children, for
   * which a parent directory was already made up): stop, to be run again with the layer indexed,
   * or, when the output cannot be taken back, warn once and write it again.
   */
  private void repeated(String name, String describe) throws RepeatedInBottom {
    String what = describe + ": '" + TarReader.printable(name) + "' is written twice in the layer";
    if (restartable) {
      throw new RepeatedInBottom(what);
    }
    if (!warnedRepeat) {
      warnedRepeat = true;
      log.accept(
          "warning: "
              + what
              + "; the output has both entries in layer order (extraction keeps the last);"
              + " write to a file to get each path once");
    }
  }

  /** Stops a streamed bottom layer that repeats a path; nothing escapes {@link #flatten}. */
  private static final class RepeatedInBottom extends IOException {
    RepeatedInBottom(String message) {
      super(message, null);
    }

    @Override
    public synchronized Throwable fillInStackTrace() {
      return this;
    }
  }

  /** Keeps what a hardlink may still need of a bottom entry that an upper layer hides. */
  private Inode hiddenInode(TarEntry e, InputStream content) throws IOException {
    if (e.isFile()) {
      if (bottomSpool == null) {
        bottomSpool = new Spool();
      }
      long off = bottomSpool.append(content, e.size());
      return new Inode(e, bottomSpool, off);
    }
    return e.isDirectory() ? null : new Inode(e, null, -1);
  }

  /** What a bottom-layer hardlink points to: an earlier entry of the layer. */
  private Inode bottomLinkTarget(TarEntry raw, String name) throws IsulaException {
    String target = EntryNames.normalizeLinkTarget(raw.name(), raw.linkName());
    if (target.equals(name)) {
      throw new UnsafeEntryException(
          "hardlink '" + TarReader.printable(name) + "' points to itself");
    }
    Inode inode = bottomInodeAt(target);
    if (inode == null) {
      if (isBottomDirectory(target)) {
        throw new InvalidImageException(
            "hardlink '"
                + TarReader.printable(name)
                + "' points to directory '"
                + TarReader.printable(target)
                + "', which is not allowed");
      }
      throw new InvalidImageException(
          "hardlink '"
              + TarReader.printable(name)
              + "' points to '"
              + TarReader.printable(target)
              + "', which is not an earlier entry of the layer");
    }
    return inode;
  }

  /** The bottom layer's latest non-directory entry at {@code path}, as an inode, or null. */
  private Inode bottomInodeAt(String path) {
    PathNode t = node(path, false);
    if (t != null) {
      return t.bottomInode;
    }
    Inode hidden = hiddenBottom.get(path);
    if (hidden != null) {
      return hidden;
    }
    if (bottomStates.get(path) != PathStates.OTHER) {
      return null;
    }
    String linked = bottomLinks.get(path);
    return Inode.emittedAt(linked != null ? linked : path);
  }

  private boolean isBottomDirectory(String path) {
    PathNode t = node(path, false);
    if (t != null) {
      return t.bottomDirectory || (t.emitted && t.emittedDirectory);
    }
    return bottomStates.get(path) == PathStates.DIRECTORY;
  }

  /**
   * True if a layer strictly between {@code low} and {@code high} hides the children of an ancestor
   * of {@code path} (for a path without a node: only ancestors can carry hides).
   */
  private boolean hiddenByAncestor(String path, int low, int high) {
    PathNode n = root;
    int i = 0;
    while (n != null) {
      if (n.childHiddenBetween(low, high)) {
        return true;
      }
      int j = path.indexOf('/', i);
      if (j < 0) {
        return false;
      }
      n = n.child(path.substring(i, j), false);
      i = j + 1;
    }
    return false;
  }

  private void checkNoUpperContentBelow(PathNode n, String describe) throws InvalidImageException {
    if (n.upperWinnerBelow) {
      throw new UnsafeEntryException(
          "'"
              + TarReader.printable(n.path)
              + "' is not a directory in "
              + describe
              + ", but a later layer adds files under it; refusing to write through it");
    }
  }

  // ---- phase 3: the upper layers' survivors ----

  private void emitUppers() throws IOException, IsulaException {
    for (IndexedLayer layer : uppers) {
      log.accept("applying " + layer.describe);
      try {
        for (int i = 0; i < layer.entries.size(); i++) {
          IndexedLayer.Entry e = layer.entries.get(i);
          if (e.kind() != WhiteoutRules.Kind.NORMAL) {
            continue;
          }
          PathNode n = node(e.header().name(), false);
          if (n.emitted || !isUpperWinner(n, layer.layerIndex, i)) {
            continue;
          }
          ensureAncestors(n);
          emitUpper(n, layer.layerIndex, i);
        }
      } catch (InvalidImageException ex) {
        throw IndexedLayer.relabel(ex, layer.describe);
      }
    }
  }

  private void emitUpper(PathNode n, int layer, int index) throws IOException, IsulaException {
    IndexedLayer.Entry e = upper(layer).entries.get(index);
    TarEntry h = e.header();
    if (h.isDirectory()) {
      write(n, n.path, h, null);
      return;
    }
    Inode inode = upperInode(layer, index, 0);
    emitInode(n, n.path, inode, h);
  }

  /** The inode an upper entry stands for; hardlinks are resolved as of their position. */
  private Inode upperInode(int layer, int index, int depth) throws IsulaException {
    long key = ((long) layer << 32) | (index & 0xffffffffL);
    Inode cached = upperInodes.get(key);
    if (cached != null) {
      return cached;
    }
    IndexedLayer.Entry e = upper(layer).entries.get(index);
    Inode inode;
    if (e.header().type() == EntryType.HARDLINK) {
      if (depth > 64) {
        throw new InvalidImageException("hardlink chain too long at '" + e.header().name() + "'");
      }
      inode = resolveLink(e.header().name(), e.hardlinkTarget(), layer, index, depth);
      if (inode == null) {
        throw new InvalidImageException(
            "hardlink '"
                + TarReader.printable(e.header().name())
                + "' points to '"
                + TarReader.printable(e.hardlinkTarget())
                + "', which does not exist at that point");
      }
    } else {
      inode = new Inode(e.header(), upper(layer).store, e.offset());
    }
    upperInodes.put(key, inode);
    return inode;
  }

  /** What {@code target} is at entry {@code index} of {@code layer}, in extraction order. */
  private Inode resolveLink(String link, String target, int layer, int index, int depth)
      throws IsulaException {
    PathNode t = node(target, false);
    if (t == null) {
      // only the bottom layer has it, if anyone does
      if (hiddenByAncestor(target, 0, layer)) {
        return null;
      }
      if (isBottomDirectory(target)) {
        throw linkToDirectory(link, target);
      }
      return bottomInodeAt(target);
    }
    long same = t.lastOccurrence(layer, index);
    if (same >= 0) {
      return linkable(link, t, upperInode(layer, PathNode.indexOf(same), depth + 1));
    }
    long below = t.lastOccurrenceBelow(layer);
    if (below >= 0) {
      if (t.hiddenBetween(PathNode.layerOf(below), layer)) {
        return null;
      }
      return linkable(
          link, t, upperInode(PathNode.layerOf(below), PathNode.indexOf(below), depth + 1));
    }
    if (t.hiddenBetween(0, layer)) {
      return null;
    }
    if (t.bottomInode == null && isBottomDirectory(target)) {
      throw linkToDirectory(link, target);
    }
    return t.bottomInode;
  }

  private static InvalidImageException linkToDirectory(String link, String target) {
    return new InvalidImageException(
        "hardlink '"
            + TarReader.printable(link)
            + "' points to directory '"
            + TarReader.printable(target)
            + "', which is not allowed");
  }

  private static Inode linkable(String link, PathNode t, Inode inode) throws InvalidImageException {
    if (inode.header != null && inode.header.isDirectory()) {
      throw linkToDirectory(link, t.path);
    }
    return inode;
  }

  // ---- writing ----

  /**
   * Writes a path whose entry stands for {@code inode}: a hardlink to where the inode was first
   * written, or, the first time, the inode itself (a hardlink whose target did not survive becomes
   * the file it pointed to). {@code n} is the path's node, or null for a bottom path without one.
   */
  private void emitInode(PathNode n, String path, Inode inode, TarEntry entry)
      throws IOException, IsulaException {
    if (inode.emittedPath != null) {
      TarEntry link =
          entry.toBuilder()
              .name(path)
              .type(EntryType.HARDLINK)
              .linkName(inode.emittedPath)
              .size(0)
              .clearXattrs()
              .build();
      write(n, path, link, null);
      return;
    }
    TarEntry materialized = inode.header.withName(path);
    if (materialized.isFile() && materialized.size() > 0) {
      try (InputStream in = inode.store.open(inode.offset, materialized.size())) {
        write(n, path, materialized, in);
      }
    } else {
      write(n, path, materialized, null);
    }
    inode.emittedPath = path;
  }

  /** Makes sure the parents of a bottom path without a node were written, first. */
  private void ensureAncestors(String path) throws IOException, IsulaException {
    String parent = EntryNames.parent(path);
    if (parent.isEmpty()) {
      return;
    }
    PathNode pn = node(parent, false);
    if (pn != null) {
      if (pn.emitted) {
        if (!pn.emittedDirectory) {
          throw notDirectory(path, parent);
        }
        return;
      }
      ensureAncestors(pn);
      emitDirectory(pn);
      return;
    }
    byte state = bottomStates.get(parent);
    if (state == PathStates.DIRECTORY) {
      return;
    }
    if (state == PathStates.OTHER) {
      throw notDirectory(path, parent);
    }
    ensureAncestors(parent);
    write(null, parent, synthesized(parent), null);
  }

  private void ensureAncestors(PathNode n) throws IOException, IsulaException {
    PathNode p = n.parent;
    if (p == root || (p.emitted && p.emittedDirectory)) {
      return; // the common case: the parent came first
    }
    List<PathNode> chain = new ArrayList<>();
    for (PathNode a = p; a != root; a = a.parent) {
      if (a.emitted) {
        if (!a.emittedDirectory) {
          throw notDirectory(n.path, a.path);
        }
        break;
      }
      chain.add(a);
    }
    for (int i = chain.size() - 1; i >= 0; i--) {
      PathNode a = chain.get(i);
      long w = upperWinner(a);
      if (w >= 0 && !entryAt(w).header().isDirectory()) {
        throw notDirectory(n.path, a.path);
      }
      emitDirectory(a);
    }
  }

  /** Writes a parent directory early: the upper layers' winning entry for it, or a default. */
  private void emitDirectory(PathNode a) throws IOException, IsulaException {
    long w = upperWinner(a);
    if (w >= 0) {
      TarEntry h = entryAt(w).header();
      if (!h.isDirectory()) {
        throw notDirectory(a.path + "/...", a.path);
      }
      write(a, a.path, h, null);
    } else {
      write(a, a.path, synthesized(a.path), null);
    }
  }

  private static TarEntry synthesized(String path) {
    return TarEntry.builder().name(path).type(EntryType.DIRECTORY).mode(0755).build();
  }

  private static UnsafeEntryException notDirectory(String child, String parent) {
    return new UnsafeEntryException(
        "entry '"
            + TarReader.printable(child)
            + "': its parent '"
            + TarReader.printable(parent)
            + "' is not a directory; refusing to write through it");
  }

  /** Writes an entry; {@code n} is its node, or null for a bottom path tracked compactly. */
  private void write(PathNode n, String path, TarEntry e, InputStream content)
      throws IOException, IsulaException {
    out.write(e, e.isFile() && e.size() > 0 ? content : InputStream.nullInputStream());
    if (n != null) {
      n.emitted = true;
      n.emittedDirectory = e.isDirectory();
    } else {
      bottomStates.put(path, e.isDirectory() ? PathStates.DIRECTORY : PathStates.OTHER);
    }
    entriesWritten++;
  }

  private void closeAll() throws IOException {
    IOException first = null;
    if (early != null) {
      try {
        early.close();
      } catch (IOException e) {
        first = e;
      }
      early = null;
    }
    for (IndexedLayer l : uppers) {
      try {
        l.close();
      } catch (IOException e) {
        first = first == null ? e : first;
      }
    }
    if (bottomSpool != null) {
      try {
        bottomSpool.close();
      } catch (IOException e) {
        first = first == null ? e : first;
      }
    }
    if (first != null) {
      throw first;
    }
  }
}
