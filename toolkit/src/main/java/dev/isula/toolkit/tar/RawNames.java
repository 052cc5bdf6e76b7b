package dev.isula.toolkit.tar;

import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;

/**
 * Lossless conversion between tar name bytes and Java strings. Valid UTF-8 decodes normally; each
 * byte of an invalid sequence becomes the lone surrogate {@code U+DC80..U+DCFF} (the scheme Python
 * calls "surrogateescape"), so names that are not UTF-8 survive a read/write round trip byte for
 * byte.
 */
public final class RawNames {
  private RawNames() {}

  /** Decodes {@code len} bytes starting at {@code off}. */
  public static String decode(byte[] b, int off, int len) {
    boolean ascii = true;
    for (int i = off; i < off + len; i++) {
      if (b[i] < 0) {
        ascii = false;
        break;
      }
    }
    if (ascii) {
      return new String(b, off, len, StandardCharsets.ISO_8859_1);
    }
    StringBuilder sb = new StringBuilder(len);
    int i = off;
    int end = off + len;
    while (i < end) {
      int c = b[i] & 0xff;
      if (c < 0x80) {
        sb.append((char) c);
        i++;
        continue;
      }
      int need;
      int cp;
      int min;
      if (c >= 0xc2 && c <= 0xdf) {
        need = 1;
        cp = c & 0x1f;
        min = 0x80;
      } else if (c >= 0xe0 && c <= 0xef) {
        need = 2;
        cp = c & 0x0f;
        min = 0x800;
      } else if (c >= 0xf0 && c <= 0xf4) {
        need = 3;
        cp = c & 0x07;
        min = 0x10000;
      } else {
        sb.append((char) (0xdc00 | c));
        i++;
        continue;
      }
      boolean ok = i + need < end;
      if (ok) {
        for (int k = 1; k <= need; k++) {
          int cc = b[i + k] & 0xff;
          if ((cc & 0xc0) != 0x80) {
            ok = false;
            break;
          }
          cp = (cp << 6) | (cc & 0x3f);
        }
      }
      if (ok && (cp < min || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff))) {
        ok = false;
      }
      if (!ok) {
        sb.append((char) (0xdc00 | c));
        i++;
        continue;
      }
      sb.appendCodePoint(cp);
      i += need + 1;
    }
    return sb.toString();
  }

  public static String decode(byte[] b) {
    return decode(b, 0, b.length);
  }

  /** Encodes a name back to the exact bytes it was decoded from. */
  public static byte[] encode(String s) {
    boolean simple = true;
    for (int i = 0; i < s.length(); i++) {
      char c = s.charAt(i);
      if (c >= 0x80) {
        simple = false;
        break;
      }
    }
    if (simple) {
      return s.getBytes(StandardCharsets.ISO_8859_1);
    }
    ByteArrayOutputStream out = new ByteArrayOutputStream(s.length() + 8);
    for (int i = 0; i < s.length(); i++) {
      char c = s.charAt(i);
      if (c >= 0xdc80 && c <= 0xdcff) {
        out.write(c & 0xff);
      } else if (Character.isHighSurrogate(c)
          && i + 1 < s.length()
          && Character.isLowSurrogate(s.charAt(i + 1))) {
        byte[] enc = s.substring(i, i + 2).getBytes(StandardCharsets.UTF_8);
        out.write(enc, 0, enc.length);
        i++;
      } else if (Character.isSurrogate(c)) {
        out.write('?');
      } else {
        byte[] enc = String.valueOf(c).getBytes(StandardCharsets.UTF_8);
        out.write(enc, 0, enc.length);
      }
    }
    return out.toByteArray();
  }

  /** True if the name holds bytes that were not valid UTF-8 when read. */
  public static boolean hasRawBytes(String s) {
    for (int i = 0; i < s.length(); i++) {
      char c = s.charAt(i);
      if (c >= 0xdc80 && c <= 0xdcff) {
        return true;
      }
    }
    return false;
  }

  /** True if every char is printable ASCII-compatible 7-bit. */
  public static boolean isAscii(String s) {
    for (int i = 0; i < s.length(); i++) {
      if (s.charAt(i) >= 0x80) {
        return false;
      }
    }
    return true;
  }
}
