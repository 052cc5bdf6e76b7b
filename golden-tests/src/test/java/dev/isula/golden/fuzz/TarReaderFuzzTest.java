package dev.isula.golden.fuzz;

import com.code_intelligence.jazzer.junit.FuzzTest;
import dev.isula.toolkit.api.UnsafeEntryException;
import dev.isula.toolkit.flatten.WhiteoutRules;
import dev.isula.toolkit.tar.EntryNames;
import dev.isula.toolkit.tar.EntryType;
import dev.isula.toolkit.tar.TarEntry;
import dev.isula.toolkit.tar.TarReader;
import dev.isula.toolkit.tar.TarWriter;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.OutputStream;
import java.util.Arrays;

/**
 * The tar codec on arbitrary bytes: every entry is read with its content, its name normalised and
 * classified, and written back with {@link TarWriter}; what is written must read back as the same
 * entry with the same content.
 */
class TarReaderFuzzTest {
  private static final int MAX_ENTRIES = 10_000;

  @FuzzTest(maxDuration = "2m")
  void readAllEntries(byte[] data) {
    FuzzSupport.declared(
        () -> {
          TarReader reader = new TarReader(new ByteArrayInputStream(data));
          TarEntry e;
          int n = 0;
          while ((e = reader.next()) != null && n++ < MAX_ENTRIES) {
            byte[] content = reader.content().readAllBytes();
            // a header's size counts for every type (it frames the archive), but only a regular
            // file's data is content; other types report size 0 and their data is skipped
            if (e.isFile() && content.length != e.size()) {
              throw new AssertionError(
                  "content of " + e.name() + " is " + content.length + " bytes, not " + e.size());
            }
            names(e);
            roundTrip(e, e.isFile() ? content : new byte[0]);
          }
        });
  }

  private static void names(TarEntry e) {
    try {
      String name = EntryNames.normalize(e.name());
      if (!name.isEmpty()
          && (name.startsWith("/") || Arrays.asList(name.split("/")).contains(".."))) {
        throw new AssertionError("normalize let through " + name);
      }
      if (e.type() == EntryType.HARDLINK) {
        EntryNames.normalizeLinkTarget(e.name(), e.linkName());
      }
      if (!name.isEmpty()) {
        WhiteoutRules.classify(name);
      }
    } catch (UnsafeEntryException refused) {
      // declared: such names are refused
    } catch (dev.isula.toolkit.api.InvalidImageException refused) {
      // declared: bad whiteouts
    }
  }

  /** What the reader returns, the writer must write so that the reader returns it again. */
  private static void roundTrip(TarEntry e, byte[] content)
      throws java.io.IOException, dev.isula.toolkit.api.IsulaException {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    TarWriter w = new TarWriter(out);
    w.write(e, content);
    w.finish();
    TarReader again = new TarReader(new ByteArrayInputStream(out.toByteArray()));
    TarEntry back = again.next();
    byte[] backContent = again.content().readAllBytes();
    TarEntry expected = e.isDirectory() && !e.name().endsWith("/") ? e.withName(e.name() + "/") : e;
    if (!expected.equals(back) && !e.equals(back)) {
      throw new AssertionError("round trip changed the entry:\n  " + e + "\n  " + back);
    }
    if (!Arrays.equals(content, backContent)) {
      throw new AssertionError("round trip changed the content of " + e.name());
    }
    if (again.next() != null) {
      throw new AssertionError("round trip of one entry gave two");
    }
    OutputStream.nullOutputStream().write(backContent);
  }
}
