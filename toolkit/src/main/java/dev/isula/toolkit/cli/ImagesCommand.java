package dev.isula.toolkit.cli;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.isula.toolkit.api.UsageException;
import dev.isula.toolkit.json.Json;
import dev.isula.toolkit.store.ImageStores;
import dev.isula.toolkit.store.StoredImage;
import java.io.PrintWriter;
import java.time.Duration;
import java.time.Instant;
import java.time.format.DateTimeParseException;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/** {@code isula images}: what the local store holds. */
@Command(
    name = "images",
    mixinStandardHelpOptions = true,
    description = "List the images of the local store: REPOSITORY, TAG, IMAGE ID, CREATED, SIZE.",
    footer = {"", "SIZE is what the image's blobs take in the store (compressed)."})
final class ImagesCommand implements Callable<Integer> {
  /** Overrides "now" for relative times (tests). */
  static final String NOW_PROPERTY = "isula.toolkit.now";

  @Spec CommandSpec spec;

  @Mixin GlobalOptions global;

  @Option(
      names = "--format",
      paramLabel = "table|json",
      description = "Output format (default: ${DEFAULT-VALUE}).")
  String format = "table";

  @Override
  public Integer call() throws Exception {
    if (!format.equals("table") && !format.equals("json")) {
      throw new UsageException("--format must be table or json");
    }
    List<StoredImage> images = ImageStores.open().list();
    PrintWriter out = spec.commandLine().getOut();
    if (format.equals("json")) {
      ArrayNode arr = JsonNodeFactory.instance.arrayNode();
      for (StoredImage i : images) {
        ObjectNode o = arr.addObject();
        o.put("Id", i.id().toString());
        ArrayNode names = o.putArray("Names");
        i.names().forEach(names::add);
        o.put("Digest", i.manifestDigest().toString());
        o.put("Created", i.created());
        o.put("Platform", i.platform());
        o.put("Size", i.size());
      }
      out.print(Json.prettySorted(arr));
      out.flush();
      return IsulaCli.OK;
    }
    List<String[]> rows = new ArrayList<>();
    rows.add(new String[] {"REPOSITORY", "TAG", "IMAGE ID", "CREATED", "SIZE"});
    Instant now =
        System.getProperty(NOW_PROPERTY) != null
            ? Instant.parse(System.getProperty(NOW_PROPERTY))
            : Instant.now();
    for (StoredImage i : images) {
      List<String> names = i.names().isEmpty() ? List.of("<none>:<none>") : i.names();
      for (String n : names) {
        int colon = n.lastIndexOf(':');
        rows.add(
            new String[] {
              n.substring(0, colon),
              n.substring(colon + 1),
              i.shortId(),
              ago(i.created(), now),
              size(i.size())
            });
      }
    }
    int[] widths = new int[5];
    for (String[] r : rows) {
      for (int c = 0; c < 5; c++) {
        widths[c] = Math.max(widths[c], r[c].length());
      }
    }
    for (String[] r : rows) {
      StringBuilder sb = new StringBuilder();
      for (int c = 0; c < 5; c++) {
        sb.append(c == 4 ? r[c] : String.format("%-" + (widths[c] + 3) + "s", r[c]));
      }
      out.println(sb.toString().stripTrailing());
    }
    out.flush();
    return IsulaCli.OK;
  }

  /** "3 days ago", as docker prints it. */
  static String ago(String created, Instant now) {
    try {
      Duration d = Duration.between(Instant.parse(created), now);
      long s = Math.max(0, d.getSeconds());
      if (s < 60) {
        return "Less than a minute ago";
      }
      long[] limits = {3600, 86400, 7 * 86400L, 30 * 86400L, 365 * 86400L, Long.MAX_VALUE};
      long[] units = {60, 3600, 86400, 7 * 86400L, 30 * 86400L, 365 * 86400L};
      String[] names = {"minute", "hour", "day", "week", "month", "year"};
      for (int i = 0; i < units.length; i++) {
        if (s < limits[i]) {
          long n = s / units[i];
          return (n == 1 ? (i == 1 ? "An" : "A") : Long.toString(n))
              + " "
              + names[i]
              + (n == 1 ? "" : "s")
              + " ago";
        }
      }
      return created;
    } catch (DateTimeParseException e) {
      return created.isEmpty() ? "-" : created;
    }
  }

  /** SI units, as docker prints sizes: 5.6MB. */
  static String size(long bytes) {
    String[] units = {"B", "kB", "MB", "GB", "TB"};
    double v = bytes;
    int u = 0;
    while (v >= 1000 && u < units.length - 1) {
      v /= 1000;
      u++;
    }
    String n = u == 0 ? Long.toString(bytes) : String.format(Locale.ROOT, "%.3g", v);
    if (n.contains(".")) {
      n = n.replaceAll("0+$", "").replaceAll("\\.$", "");
    }
    return n + units[u];
  }
}
