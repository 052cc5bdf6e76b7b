///usr/bin/env jbang "$0" "$@" ; exit $?
//JAVA 17+
//JAVAC_OPTIONS --release 17
//DEPS dev.isula:isula-toolkit:0.1.0-SNAPSHOT
//DEPS dev.isula:isula-format-docker-archive:0.1.0-SNAPSHOT
//DEPS dev.isula:isula-format-oci:0.1.0-SNAPSHOT
//DEPS dev.isula:isula-format-rootfs:0.1.0-SNAPSHOT
//DEPS dev.isula:isula-format-split:0.1.0-SNAPSHOT
//DEPS dev.isula:isula-format-registry:0.1.0-SNAPSHOT
//DEPS dev.isula:isula-format-containers-storage:0.1.0-SNAPSHOT
//JAVA_OPTIONS -XX:+UseParallelGC -XX:TieredStopAtLevel=4 --enable-native-access=ALL-UNNAMED

// The isula command line. All logic lives in the tested library (dev.isula.toolkit.cli);
// the catalog routes export@isula, import@isula, ... here with the subcommand as first argument.
// Third-party formats join by adding their jar with another //DEPS line.
public class isula {
  public static void main(String... args) {
    dev.isula.toolkit.cli.IsulaCli.exit(dev.isula.toolkit.cli.IsulaCli.run(args));
  }
}
