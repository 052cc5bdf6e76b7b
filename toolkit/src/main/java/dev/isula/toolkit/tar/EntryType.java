package dev.isula.toolkit.tar;

/** The kinds of tar entries a root filesystem is made of. */
public enum EntryType {
  FILE('0', 'f'),
  HARDLINK('1', 'h'),
  SYMLINK('2', 'l'),
  CHAR_DEVICE('3', 'c'),
  BLOCK_DEVICE('4', 'b'),
  DIRECTORY('5', 'd'),
  FIFO('6', 'p');

  private final char flag;
  private final char letter;

  EntryType(char flag, char letter) {
    this.flag = flag;
    this.letter = letter;
  }

  /** The ustar type flag written to headers. */
  public char flag() {
    return flag;
  }

  /** The one-letter code used in listings, as {@code ls -l} would show it. */
  public char letter() {
    return letter;
  }

  public boolean isDevice() {
    return this == CHAR_DEVICE || this == BLOCK_DEVICE;
  }
}
