package dev.isula.golden.registry;

import static org.junit.jupiter.api.Assertions.fail;

import java.io.IOException;
import java.io.InterruptedIOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;

/**
 * A real registry for the tests: Debian's {@code docker-registry} (Distribution 2.8) on 127.0.0.1
 * with a free port, storage and log under a directory of the test, optionally with TLS and htpasswd
 * (Basic) authentication. Started and stopped by the test; {@link #kill()} and {@link #restart()}
 * simulate a crash. Its log records every request, which the tests count.
 */
public final class LocalRegistry implements AutoCloseable {
  private static final Pattern METHOD = Pattern.compile("http\\.request\\.method=(\\S+)");

  /** logrus quotes a value only when it has to. */
  private static final Pattern URI =
      Pattern.compile("http\\.request\\.uri=(?:\"((?:[^\"\\\\]|\\\\.)*)\"|(\\S+))");

  private final Path dir;
  private final Path storage;
  private final Path log;
  private final Path config;
  private final int port;
  private Process process;

  private LocalRegistry(Path dir, int port) {
    this.dir = dir;
    this.storage = dir.resolve("storage");
    this.log = dir.resolve("registry.log");
    this.config = dir.resolve("config.yml");
    this.port = port;
  }

  /** Skips the test (fails it with CI=true) unless docker-registry and skopeo are installed. */
  public static void requireInstalled() {
    Exec.require("docker-registry", "skopeo");
  }

  /** Skips the test (fails it with CI=true) unless docker-registry is installed. */
  public static void requireRegistry() {
    Exec.require("docker-registry");
  }

  /** A plain HTTP registry without authentication. */
  public static LocalRegistry plain(Path dir) throws IOException {
    return start(dir, null, null, null);
  }

  /**
   * Starts a registry in {@code dir} (created if needed).
   *
   * @param cert server certificate (PEM) for TLS, or null for plain HTTP
   * @param key its private key
   * @param htpasswd a bcrypt htpasswd file to require Basic authentication, or null
   */
  public static LocalRegistry start(Path dir, Path cert, Path key, Path htpasswd)
      throws IOException {
    Files.createDirectories(dir);
    LocalRegistry r = new LocalRegistry(dir, freePort());
    Files.createDirectories(r.storage);
    StringBuilder yml = new StringBuilder();
    yml.append("version: 0.1\n");
    yml.append("log:\n  level: info\n  accesslog:\n    disabled: true\n");
    yml.append("storage:\n  filesystem:\n    rootdirectory: ").append(r.storage).append('\n');
    yml.append("  delete:\n    enabled: true\n");
    yml.append("  maintenance:\n    uploadpurging:\n      enabled: false\n");
    yml.append("http:\n  addr: 127.0.0.1:").append(r.port).append('\n');
    // a fixed secret, so upload state survives a restart like it would behind a load balancer
    yml.append("  secret: isula-registry-test\n");
    if (cert != null) {
      yml.append("  tls:\n    certificate: ").append(cert).append('\n');
      yml.append("    key: ").append(key).append('\n');
    }
    if (htpasswd != null) {
      yml.append("auth:\n  htpasswd:\n    realm: isula-test\n    path: ")
          .append(htpasswd)
          .append('\n');
    }
    Files.writeString(r.config, yml.toString());
    r.launch();
    return r;
  }

  private static int freePort() throws IOException {
    try (ServerSocket s = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
      return s.getLocalPort();
    }
  }

  private void launch() throws IOException {
    ProcessBuilder pb =
        new ProcessBuilder("docker-registry", "serve", config.toString())
            .redirectErrorStream(true)
            .redirectOutput(ProcessBuilder.Redirect.appendTo(log.toFile()))
            .redirectInput(ProcessBuilder.Redirect.from(new java.io.File("/dev/null")));
    // the registry reads REGISTRY_* variables as configuration: none of the caller's
    pb.environment().keySet().removeIf(k -> k.startsWith("REGISTRY_"));
    process = pb.start();
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(20);
    while (System.nanoTime() < deadline) {
      if (!process.isAlive()) {
        fail("docker-registry exited with " + process.exitValue() + ":\n" + logTail());
      }
      try (Socket s = new Socket()) {
        s.connect(new InetSocketAddress(InetAddress.getLoopbackAddress(), port), 200);
        return;
      } catch (IOException notYet) {
        sleep(50);
      }
    }
    process.destroyForcibly();
    fail("docker-registry did not listen on 127.0.0.1:" + port + " within 20s:\n" + logTail());
  }

  private static void sleep(long ms) throws InterruptedIOException {
    try {
      Thread.sleep(ms);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new InterruptedIOException("interrupted");
    }
  }

  /** {@code 127.0.0.1:PORT}. */
  public String host() {
    return "127.0.0.1:" + port;
  }

  public Path storage() {
    return storage;
  }

  public Path directory() {
    return dir;
  }

  /** Kills the registry at once (SIGKILL), as a crash would. */
  public void kill() throws IOException {
    if (process != null && process.isAlive()) {
      process.destroyForcibly();
      try {
        if (!process.waitFor(20, TimeUnit.SECONDS)) {
          fail("docker-registry did not die");
        }
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        throw new InterruptedIOException("interrupted");
      }
    }
  }

  /** Starts it again on the same port with the same storage. */
  public void restart() throws IOException {
    kill();
    launch();
  }

  /** Where the log ends now, for {@link #requestsSince}. */
  public long logPosition() throws IOException {
    return Files.size(log);
  }

  /**
   * {@code METHOD URI} of every request answered since {@code position}, once {@code last} is among
   * them. The registry logs a request after answering it, so the client may be done before the log
   * is: this waits (at most 10 s) for the request the client sent last, and a moment more.
   */
  public List<String> requestsSince(long position, String last) throws IOException {
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
    while (!requestsSince(position).contains(last) && System.nanoTime() < deadline) {
      sleep(20);
    }
    sleep(200);
    return requestsSince(position);
  }

  /** {@code METHOD URI} of every request logged since {@code position}. */
  public List<String> requestsSince(long position) throws IOException {
    byte[] all = Files.readAllBytes(log);
    String text =
        new String(all, (int) position, all.length - (int) position, StandardCharsets.UTF_8);
    List<String> out = new ArrayList<>();
    for (String line : text.split("\n")) {
      if (!line.contains("msg=\"response completed")) {
        continue;
      }
      Matcher m = METHOD.matcher(line);
      Matcher u = URI.matcher(line);
      if (m.find() && u.find()) {
        out.add(m.group(1) + " " + (u.group(1) != null ? u.group(1) : u.group(2)));
      }
    }
    return out;
  }

  /** Upload session directories in progress for {@code repository}. */
  public List<Path> uploadsInProgress(String repository) throws IOException {
    Path uploads =
        storage.resolve("docker/registry/v2/repositories").resolve(repository).resolve("_uploads");
    if (!Files.isDirectory(uploads)) {
      return List.of();
    }
    try (Stream<Path> s = Files.list(uploads)) {
      return s.toList();
    } catch (java.nio.file.NoSuchFileException gone) {
      return List.of();
    }
  }

  public String logTail() {
    try {
      String s = Files.readString(log, StandardCharsets.UTF_8);
      return s.length() <= 4000 ? s : "..." + s.substring(s.length() - 4000);
    } catch (IOException e) {
      return "(no log: " + e.getMessage() + ")";
    }
  }

  @Override
  public void close() throws IOException {
    kill();
  }
}
