package dev.isula.toolkit.testing;

import dev.isula.toolkit.api.IsulaException;
import dev.isula.toolkit.tar.TarEntry;
import dev.isula.toolkit.tar.TarReader;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;

/** Reads a whole in-memory tar back into headers and contents, for assertions. */
public final class TarEntries {
  /** One entry of an archive and its content (empty for non-files). */
  public record Item(TarEntry entry, byte[] content) {
    public String name() {
      return entry.name();
    }

    public String text() {
      return new String(content, StandardCharsets.UTF_8);
    }
  }

  private TarEntries() {}

  /** Every entry in archive order, names exactly as stored. */
  public static List<Item> read(byte[] tar) throws IOException, IsulaException {
    List<Item> items = new ArrayList<>();
    TarReader reader = new TarReader(new ByteArrayInputStream(tar));
    TarEntry e;
    while ((e = reader.next()) != null) {
      items.add(new Item(e, reader.content().readAllBytes()));
    }
    return items;
  }

  /** The stored names, in archive order. */
  public static List<String> names(List<Item> items) {
    List<String> names = new ArrayList<>();
    for (Item i : items) {
      names.add(i.name());
    }
    return names;
  }

  /** The single entry stored under exactly {@code name}; fails if there is none or several. */
  public static Item find(List<Item> items, String name) {
    Item found = null;
    for (Item i : items) {
      if (i.name().equals(name)) {
        if (found != null) {
          throw new AssertionError("'" + name + "' appears more than once");
        }
        found = i;
      }
    }
    if (found == null) {
      throw new AssertionError("no entry '" + name + "' in " + names(items));
    }
    return found;
  }
}
