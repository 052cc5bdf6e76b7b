package dev.isula.golden.registry;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The registry dies in the middle of a push (killed while the big layer's upload is in progress, as
 * its storage shows): the push fails with one line naming the registry, after retrying; once the
 * registry is back the same push succeeds and skopeo reads the image, digests intact.
 */
@Tag("peers")
class RegistryInterruptedPushTest {
  @TempDir Path work;

  @Test
  void registryKilledMidPushThenRetried() throws Exception {
    LocalRegistry.requireInstalled();
    Path layout = RegistryImages.layout(work.resolve("layout"), RegistryImages.large(48), "v1");
    try (LocalRegistry registry = LocalRegistry.plain(work.resolve("registry"))) {
      String target = "docker://" + registry.host() + "/crash/big:v1";
      CompletableFuture<Isula.Run> push =
          CompletableFuture.supplyAsync(
              () -> Isula.run("convert", "--tls-verify=false", "oci:" + layout + ":v1", target));
      // wait until an upload of at least a MiB is under way in the registry's storage
      long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
      boolean killed = false;
      while (!killed && System.nanoTime() < deadline && !push.isDone()) {
        for (Path upload : registry.uploadsInProgress("crash/big")) {
          Path data = upload.resolve("data");
          try {
            if (Files.size(data) > (1 << 20)) {
              registry.kill();
              killed = true;
              break;
            }
          } catch (java.nio.file.NoSuchFileException notYet) {
            // the session exists, its data not yet (or not any more)
          }
        }
        Thread.sleep(1);
      }
      if (!killed) {
        fail("the upload was never seen in progress: " + push.get(60, TimeUnit.SECONDS));
      }
      Isula.Run failed = push.get(2, TimeUnit.MINUTES);
      assertEquals(1, failed.exit(), failed::toString);
      List<String> errors =
          failed.errLines().stream().filter(l -> l.startsWith("isula convert: ")).toList();
      assertEquals(
          List.of(
              "isula convert: cannot connect to registry "
                  + registry.host()
                  + ": connection refused (after 4 attempts)"),
          errors,
          failed::toString);
      // it tried again before giving up
      assertTrue(
          failed.errLines().stream().anyMatch(l -> l.contains("retrying in")), failed::toString);

      registry.restart();
      Isula.Run retried =
          Isula.run("convert", "--tls-verify=false", "oci:" + layout + ":v1", target).ok();
      assertTrue(
          retried.errLines().stream()
              .anyMatch(l -> l.startsWith("layer 1/2") && l.contains("uploaded")),
          retried::toString);

      String digest = RegistryImages.layoutManifestDigest(layout);
      assertEquals(digest, RegistryImages.registryManifestDigest(target, "--tls-verify=false"));
      Path back = work.resolve("back");
      Exec.Result copy =
          Exec.run(
              List.of(
                  "skopeo",
                  "copy",
                  "-q",
                  "--src-tls-verify=false",
                  "--preserve-digests",
                  target,
                  "oci:" + back + ":v1"));
      assertEquals(0, copy.exit(), copy::toString);
      assertEquals(digest, RegistryImages.layoutManifestDigest(back));
      assertArrayEquals(
          RegistryImages.export(work, "oci:" + layout + ":v1"),
          RegistryImages.export(work, target, "--tls-verify=false"));
    }
  }
}
