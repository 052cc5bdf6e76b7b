package dev.isula.toolkit.tar;

import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;

/**
 * Builds tar bytes header by header, without {@link TarWriter}, so tests can feed the reader what
 * other tools write (GNU long names, global PAX headers, base-256 numbers) and broken input.
 */
final class RawTar {
  static final String USTAR = "ustar\0" + "00";
  static final String GNU = "ustar  \0";

  private final ByteArrayOutputStream out = new ByteArrayOutputStream();

  static RawTar raw() {
    return new RawTar();
  }

  /** A header block with the common fields filled in; finish it with {@link #checksum}. */
  static byte[] header(String name, char type, long size, String magic) {
    byte[] h = new byte[512];
    put(h, 0, name.getBytes(StandardCharsets.UTF_8));
    octal(h, 100, 8, 0644);
    octal(h, 108, 8, 0);
    octal(h, 116, 8, 0);
    octal(h, 124, 12, size);
    octal(h, 136, 12, 1_600_000_000L);
    h[156] = (byte) type;
    put(h, 257, magic.getBytes(StandardCharsets.ISO_8859_1));
    return h;
  }

  static void put(byte[] h, int off, byte[] v) {
    System.arraycopy(v, 0, h, off, v.length);
  }

  static void octal(byte[] h, int off, int len, long v) {
    String s = Long.toOctalString(v);
    String padded = "0".repeat(len - 1 - s.length()) + s;
    put(h, off, padded.getBytes(StandardCharsets.US_ASCII));
    h[off + len - 1] = 0;
  }

  /** GNU base-256: big-endian two's complement with the marker bit set. */
  static void base256(byte[] h, int off, int len, long v) {
    for (int i = len - 1; i >= 0; i--) {
      h[off + i] = (byte) v;
      v >>= 8;
    }
    h[off] |= (byte) 0x80;
  }

  /** Computes and stores the header checksum; returns the header. */
  static byte[] checksum(byte[] h) {
    Arrays.fill(h, 148, 156, (byte) ' ');
    long sum = 0;
    for (byte b : h) {
      sum += b & 0xff;
    }
    octal(h, 148, 7, sum);
    h[155] = ' ';
    return h;
  }

  /** PAX records ({@code "len key=value\n"}) for the given key/value pairs. */
  static byte[] pax(String... keyValues) {
    ByteArrayOutputStream b = new ByteArrayOutputStream();
    for (String kv : keyValues) {
      byte[] rec = kv.getBytes(StandardCharsets.UTF_8);
      b.writeBytes(record(rec));
    }
    return b.toByteArray();
  }

  /** One PAX record around raw {@code key=value} bytes. */
  static byte[] record(byte[] keyValue) {
    int base = keyValue.length + 2;
    int len = base + Integer.toString(base).length();
    if (Integer.toString(len).length() != Integer.toString(base).length()) {
      len = base + Integer.toString(len).length();
    }
    ByteArrayOutputStream b = new ByteArrayOutputStream();
    b.writeBytes((len + " ").getBytes(StandardCharsets.US_ASCII));
    b.writeBytes(keyValue);
    b.write('\n');
    return b.toByteArray();
  }

  RawTar block(byte[] header) {
    out.writeBytes(header);
    return this;
  }

  /** Content padded to a block boundary. */
  RawTar data(byte[] d) {
    out.writeBytes(d);
    int pad = (512 - d.length % 512) % 512;
    out.writeBytes(new byte[pad]);
    return this;
  }

  /** An extended header of {@code type} ('x', 'g', 'L', 'K') carrying {@code payload}. */
  RawTar extended(char type, byte[] payload) {
    String name = type == 'L' || type == 'K' ? "././@LongLink" : "PaxHeaders/x";
    String magic = type == 'L' || type == 'K' ? GNU : USTAR;
    block(checksum(header(name, type, payload.length, magic)));
    return data(payload);
  }

  RawTar file(String name, String content) {
    byte[] c = content.getBytes(StandardCharsets.UTF_8);
    block(checksum(header(name, '0', c.length, USTAR)));
    return data(c);
  }

  RawTar end() {
    out.writeBytes(new byte[1024]);
    return this;
  }

  byte[] bytes() {
    return out.toByteArray();
  }
}
