package dev.isula.toolkit.cli;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.sun.net.httpserver.HttpServer;
import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;

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
    // the registry transport's classes (java.net.http among them): export from a loopback
    // registry that serves the layout imported above
    try (LoopbackRegistry registry = new LoopbackRegistry(Path.of(dir, "oci"))) {
      IsulaCli.run(
          "export",
          "-q",
          "--tls-verify=false",
          "docker://" + registry.address() + "/t:t",
          dir + "/registry.tar");
    } catch (IOException | RuntimeException e) {
      failures++;
    }
    IsulaCli.exit(failures == runs.length ? IsulaCli.FAILURE : IsulaCli.OK);
  }

  /**
   * Just enough of the distribution API (GET of {@code /v2/}, the manifest and blobs) to serve the
   * first image of an OCI layout, on 127.0.0.1 and a free port, for the training run.
   */
  static final class LoopbackRegistry implements AutoCloseable {
    private final HttpServer server;

    LoopbackRegistry(Path layout) throws IOException {
      JsonNode manifest =
          new ObjectMapper()
              .readTree(layout.resolve("index.json").toFile())
              .path("manifests")
              .path(0);
      String digest = manifest.path("digest").asText();
      String mediaType = manifest.path("mediaType").asText();
      Path blobs = layout.resolve("blobs").resolve("sha256");
      server = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 0);
      server.createContext(
          "/v2/",
          exchange -> {
            String path = exchange.getRequestURI().getPath();
            byte[] body = "{}".getBytes(StandardCharsets.US_ASCII);
            int status = 200;
            String type = "application/json";
            if (path.startsWith("/v2/t/manifests/")) {
              body = Files.readAllBytes(blobs.resolve(digest.substring(7)));
              type = mediaType;
              exchange.getResponseHeaders().add("Docker-Content-Digest", digest);
            } else if (path.matches("/v2/t/blobs/sha256:[0-9a-f]{64}")) {
              Path blob = blobs.resolve(path.substring(path.lastIndexOf(':') + 1));
              if (Files.isRegularFile(blob)) {
                body = Files.readAllBytes(blob);
                type = "application/octet-stream";
              } else {
                status = 404;
              }
            } else if (!path.equals("/v2/")) {
              status = 404;
            }
            exchange.getResponseHeaders().add("Content-Type", type);
            boolean head = exchange.getRequestMethod().equals("HEAD");
            exchange.sendResponseHeaders(status, head ? -1 : body.length);
            if (!head) {
              exchange.getResponseBody().write(body);
            }
            exchange.close();
          });
      server.start();
    }

    String address() {
      return "127.0.0.1:" + server.getAddress().getPort();
    }

    @Override
    public void close() {
      server.stop(0);
    }
  }
}
