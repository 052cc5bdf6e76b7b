package dev.isula.format.registry;

import dev.isula.toolkit.api.UsageException;
import java.io.IOException;
import java.io.InputStream;
import java.net.Socket;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.KeyStore;
import java.security.cert.Certificate;
import java.security.cert.CertificateFactory;
import java.security.cert.X509Certificate;
import java.util.ArrayList;
import java.util.List;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLEngine;
import javax.net.ssl.TrustManager;
import javax.net.ssl.TrustManagerFactory;
import javax.net.ssl.X509ExtendedTrustManager;
import javax.net.ssl.X509TrustManager;

/**
 * The TLS context for one registry: the JDK's trusted CAs plus the {@code *.crt} files of the
 * certificate directory ({@code --cert-dir}, else {@code /etc/containers/certs.d/HOST[:PORT]} or
 * {@code /etc/docker/certs.d/HOST[:PORT]}, as podman and docker look them up); or, with {@code
 * --tls-verify=false}, one that accepts any certificate for any name.
 */
final class Tls {
  private Tls() {}

  static SSLContext context(String host, boolean verify, Path certDir)
      throws UsageException, IOException {
    try {
      if (!verify) {
        SSLContext ctx = SSLContext.getInstance("TLS");
        ctx.init(null, new TrustManager[] {new TrustAll()}, null);
        return ctx;
      }
      List<Path> caFiles = caFiles(host, certDir);
      if (caFiles.isEmpty()) {
        return SSLContext.getDefault();
      }
      KeyStore ks = KeyStore.getInstance(KeyStore.getDefaultType());
      ks.load(null, null);
      TrustManagerFactory defaults =
          TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
      defaults.init((KeyStore) null);
      int n = 0;
      for (TrustManager tm : defaults.getTrustManagers()) {
        if (tm instanceof X509TrustManager x) {
          for (X509Certificate c : x.getAcceptedIssuers()) {
            ks.setCertificateEntry("jdk-" + n++, c);
          }
        }
      }
      CertificateFactory cf = CertificateFactory.getInstance("X.509");
      for (Path f : caFiles) {
        try (InputStream in = Files.newInputStream(f)) {
          int found = 0;
          for (Certificate c : cf.generateCertificates(in)) {
            ks.setCertificateEntry("ca-" + n++, c);
            found++;
          }
          if (found == 0) {
            throw new UsageException(f + ": no PEM certificate in it");
          }
        } catch (java.security.cert.CertificateException e) {
          throw new UsageException(f + ": not a PEM certificate (" + e.getMessage() + ")");
        }
      }
      TrustManagerFactory tmf =
          TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
      tmf.init(ks);
      SSLContext ctx = SSLContext.getInstance("TLS");
      ctx.init(null, tmf.getTrustManagers(), null);
      return ctx;
    } catch (GeneralSecurityException e) {
      throw new IOException("cannot set up TLS for " + host + ": " + e.getMessage(), e);
    }
  }

  /** The CA certificate files to trust for {@code host}, besides the JDK's. */
  static List<Path> caFiles(String host, Path certDir) throws IOException, UsageException {
    List<Path> dirs = new ArrayList<>();
    if (certDir != null) {
      if (!Files.isDirectory(certDir)) {
        throw new UsageException("--cert-dir " + certDir + ": not a directory");
      }
      dirs.add(certDir);
    } else {
      String dirName = host.replace('[', '_').replace(']', '_');
      if (!dirName.contains("/")) {
        dirs.add(Path.of("/etc/containers/certs.d", dirName));
        dirs.add(Path.of("/etc/docker/certs.d", dirName));
      }
    }
    List<Path> out = new ArrayList<>();
    for (Path d : dirs) {
      if (!Files.isDirectory(d)) {
        continue;
      }
      try (DirectoryStream<Path> s = Files.newDirectoryStream(d, "*.crt")) {
        s.forEach(out::add);
      }
    }
    out.sort(null);
    return out;
  }

  /**
   * Trusts every certificate, for every host name (an extended trust manager does its own host name
   * check, so the JDK's is skipped too).
   */
  private static final class TrustAll extends X509ExtendedTrustManager {
    @Override
    public void checkClientTrusted(X509Certificate[] chain, String authType, Socket socket) {}

    @Override
    public void checkServerTrusted(X509Certificate[] chain, String authType, Socket socket) {}

    @Override
    public void checkClientTrusted(X509Certificate[] chain, String authType, SSLEngine engine) {}

    @Override
    public void checkServerTrusted(X509Certificate[] chain, String authType, SSLEngine engine) {}

    @Override
    public void checkClientTrusted(X509Certificate[] chain, String authType) {}

    @Override
    public void checkServerTrusted(X509Certificate[] chain, String authType) {}

    @Override
    public X509Certificate[] getAcceptedIssuers() {
      return new X509Certificate[0];
    }
  }
}
