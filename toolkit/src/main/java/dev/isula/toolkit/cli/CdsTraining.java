package dev.isula.toolkit.cli;

/**
 * A training run for an AppCDS archive (class data sharing): runs the common commands once on a
 * sample image in one JVM, so that {@code -XX:ArchiveClassesAtExit} records the classes they load.
 * The {@code ./jbang} launcher uses it to cut the start-up of later runs; it is not a user command.
 */
public final class CdsTraining {
  private CdsTraining() {}

  /** {@code CdsTraining SAMPLE_ARCHIVE SCRATCH_DIR}; exit 0 unless every run failed. */
  public static void main(String... args) {
    if (args.length != 2) {
      System.err.println("usage: CdsTraining SAMPLE_ARCHIVE SCRATCH_DIR");
      System.exit(IsulaCli.USAGE);
    }
    String sample = args[0];
    String dir = args[1];
    String[][] runs = {
      {"export", "-q", sample, dir + "/rootfs.tar"},
      {"export", "-q", sample, dir + "/rootfs.tar.gz"},
      {"export", "-q", "--split", sample, dir + "/split"},
      {"import", "-q", dir + "/rootfs.tar", "t:1", "-o", "oci:" + dir + "/oci:t"},
      {"import", "-q", "--compress", "zstd", dir + "/rootfs.tar", "-o", "oci:" + dir + "/ociz:t"},
      {"convert", "-q", "oci:" + dir + "/oci:t", "docker-archive:" + dir + "/d.tar:t:1"},
      {"export", "--help"}
    };
    int failures = 0;
    for (String[] run : runs) {
      failures += IsulaCli.run(run) == IsulaCli.OK ? 0 : 1;
    }
    System.exit(failures == runs.length ? IsulaCli.FAILURE : IsulaCli.OK);
  }
}
