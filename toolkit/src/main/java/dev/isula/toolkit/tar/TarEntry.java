package dev.isula.toolkit.tar;

import java.util.Arrays;
import java.util.Collections;
import java.util.Map;
import java.util.Objects;
import java.util.SortedMap;
import java.util.TreeMap;

/**
 * One tar header, with everything a root filesystem needs kept exactly: owner ids and names, mode
 * including setuid/setgid/sticky, mtime with its fraction, link target, device numbers and extended
 * attributes as raw bytes. Immutable; use {@link #builder()} or {@link #toBuilder()}.
 *
 * <p>{@link #size()} is the content length and is zero for everything but regular files.
 */
public final class TarEntry {
  private final String name;
  private final EntryType type;
  private final int mode;
  private final long uid;
  private final long gid;
  private final String uname;
  private final String gname;
  private final long mtimeSeconds;
  private final int mtimeNanos;
  private final long size;
  private final String linkName;
  private final int devMajor;
  private final int devMinor;
  private final SortedMap<String, byte[]> xattrs;

  private TarEntry(Builder b) {
    this.name = Objects.requireNonNull(b.name, "name");
    this.type = Objects.requireNonNull(b.type, "type");
    this.mode = b.mode & 07777;
    this.uid = b.uid;
    this.gid = b.gid;
    this.uname = b.uname == null ? "" : b.uname;
    this.gname = b.gname == null ? "" : b.gname;
    this.mtimeSeconds = b.mtimeSeconds;
    this.mtimeNanos = b.mtimeNanos;
    this.size = type == EntryType.FILE ? b.size : 0;
    this.linkName =
        (type == EntryType.SYMLINK || type == EntryType.HARDLINK)
            ? Objects.requireNonNullElse(b.linkName, "")
            : "";
    this.devMajor = type.isDevice() ? b.devMajor : 0;
    this.devMinor = type.isDevice() ? b.devMinor : 0;
    if (b.xattrs.isEmpty()) {
      this.xattrs = Collections.emptySortedMap(); // most entries: no map of their own
    } else {
      TreeMap<String, byte[]> copy = new TreeMap<>();
      b.xattrs.forEach((k, v) -> copy.put(k, v.clone()));
      this.xattrs = Collections.unmodifiableSortedMap(copy);
    }
    if (size < 0 || uid < 0 || gid < 0) {
      throw new IllegalArgumentException("negative size, uid or gid for " + name);
    }
  }

  public static Builder builder() {
    return new Builder();
  }

  public Builder toBuilder() {
    Builder b = new Builder();
    b.name = name;
    b.type = type;
    b.mode = mode;
    b.uid = uid;
    b.gid = gid;
    b.uname = uname;
    b.gname = gname;
    b.mtimeSeconds = mtimeSeconds;
    b.mtimeNanos = mtimeNanos;
    b.size = size;
    b.linkName = linkName;
    b.devMajor = devMajor;
    b.devMinor = devMinor;
    b.xattrs.putAll(xattrs);
    return b;
  }

  public String name() {
    return name;
  }

  public EntryType type() {
    return type;
  }

  public boolean isDirectory() {
    return type == EntryType.DIRECTORY;
  }

  public boolean isFile() {
    return type == EntryType.FILE;
  }

  /** Permission bits plus setuid (04000), setgid (02000) and sticky (01000). */
  public int mode() {
    return mode;
  }

  public long uid() {
    return uid;
  }

  public long gid() {
    return gid;
  }

  public String uname() {
    return uname;
  }

  public String gname() {
    return gname;
  }

  public long mtimeSeconds() {
    return mtimeSeconds;
  }

  public int mtimeNanos() {
    return mtimeNanos;
  }

  public long size() {
    return size;
  }

  /** Symlink target or hardlink target name; empty for other types. */
  public String linkName() {
    return linkName;
  }

  public int devMajor() {
    return devMajor;
  }

  public int devMinor() {
    return devMinor;
  }

  /** Extended attributes by name ({@code security.capability}, {@code user.x}); raw values. */
  public SortedMap<String, byte[]> xattrs() {
    return xattrs;
  }

  public TarEntry withName(String newName) {
    if (newName.equals(name)) {
      return this;
    }
    return toBuilder().name(newName).build();
  }

  @Override
  public boolean equals(Object o) {
    if (!(o instanceof TarEntry e)) {
      return false;
    }
    if (!(name.equals(e.name)
        && type == e.type
        && mode == e.mode
        && uid == e.uid
        && gid == e.gid
        && uname.equals(e.uname)
        && gname.equals(e.gname)
        && mtimeSeconds == e.mtimeSeconds
        && mtimeNanos == e.mtimeNanos
        && size == e.size
        && linkName.equals(e.linkName)
        && devMajor == e.devMajor
        && devMinor == e.devMinor
        && xattrs.keySet().equals(e.xattrs.keySet()))) {
      return false;
    }
    for (Map.Entry<String, byte[]> x : xattrs.entrySet()) {
      if (!Arrays.equals(x.getValue(), e.xattrs.get(x.getKey()))) {
        return false;
      }
    }
    return true;
  }

  @Override
  public int hashCode() {
    return Objects.hash(name, type, mode, uid, gid, mtimeSeconds, size, linkName);
  }

  @Override
  public String toString() {
    return type.letter()
        + " "
        + String.format("%04o", mode)
        + " "
        + uid
        + ":"
        + gid
        + " "
        + size
        + " "
        + name
        + (linkName.isEmpty() ? "" : " -> " + linkName);
  }

  /** Mutable builder; defaults are a root-owned 0644 file with mtime 0. */
  public static final class Builder {
    private String name;
    private EntryType type = EntryType.FILE;
    private int mode = 0644;
    private long uid;
    private long gid;
    private String uname = "";
    private String gname = "";
    private long mtimeSeconds;
    private int mtimeNanos;
    private long size;
    private String linkName = "";
    private int devMajor;
    private int devMinor;
    private final TreeMap<String, byte[]> xattrs = new TreeMap<>();

    private Builder() {}

    public Builder name(String v) {
      name = v;
      return this;
    }

    public Builder type(EntryType v) {
      type = v;
      return this;
    }

    public Builder mode(int v) {
      mode = v;
      return this;
    }

    public Builder uid(long v) {
      uid = v;
      return this;
    }

    public Builder gid(long v) {
      gid = v;
      return this;
    }

    public Builder uname(String v) {
      uname = v;
      return this;
    }

    public Builder gname(String v) {
      gname = v;
      return this;
    }

    public Builder mtime(long seconds, int nanos) {
      mtimeSeconds = seconds;
      mtimeNanos = nanos;
      return this;
    }

    public Builder mtimeSeconds(long seconds) {
      return mtime(seconds, 0);
    }

    public Builder size(long v) {
      size = v;
      return this;
    }

    public Builder linkName(String v) {
      linkName = v;
      return this;
    }

    public Builder device(int major, int minor) {
      devMajor = major;
      devMinor = minor;
      return this;
    }

    public Builder xattr(String key, byte[] value) {
      xattrs.put(key, value.clone());
      return this;
    }

    public Builder clearXattrs() {
      xattrs.clear();
      return this;
    }

    public TarEntry build() {
      return new TarEntry(this);
    }
  }
}
