package dev.isula.golden.peers;

import java.util.List;
import org.junit.jupiter.api.Tag;

/** {@link ContainersStoragePeers} with the vfs driver: every layer directory a full snapshot. */
@Tag("peers")
class ContainersStorageVfsPeersTest extends ContainersStoragePeers {
  ContainersStorageVfsPeersTest() {
    super("vfs");
  }

  @Override
  List<String> samples() {
    return List.of("hello", "whiteouts", "hardlinks", "special-files");
  }
}
