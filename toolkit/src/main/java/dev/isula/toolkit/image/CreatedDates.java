package dev.isula.toolkit.image;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.time.DateTimeException;
import java.time.Instant;
import java.time.OffsetDateTime;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.function.Consumer;
import java.util.regex.Pattern;

/**
 * The {@code created} dates of an image config as iSulad's loader wants them: present in the config
 * and in every history entry, RFC 3339 with at most 9 fraction digits, and between
 * 1970-01-01T00:00:00Z and 2038-01-19T03:14:07Z ({@code oci_valid_time} in iSulad's {@code
 * utils_images.c}, called by {@code check_time_valid} in {@code oci_load.c}). Images we write get
 * missing dates filled in; dates iSulad would refuse are kept but warned about.
 */
public final class CreatedDates {
  /** The latest date iSulad accepts: 2^31-1 seconds after the epoch. */
  public static final Instant LATEST = Instant.ofEpochSecond(Integer.MAX_VALUE);

  private static final Pattern RFC3339 =
      Pattern.compile(
          "[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}(\\.[0-9]{1,9})?"
              + "(Z|[+-][0-9]{2}:[0-9]{2})");

  private CreatedDates() {}

  /** {@code text} as an instant, if it is an RFC 3339 date with at most 9 fraction digits. */
  public static Optional<Instant> parse(String text) {
    if (text == null || !RFC3339.matcher(text).matches()) {
      return Optional.empty();
    }
    try {
      return Optional.of(OffsetDateTime.parse(text).toInstant());
    } catch (DateTimeException e) {
      return Optional.empty();
    }
  }

  /**
   * Why iSulad's loader refuses {@code text} as a created date, or empty when it accepts it.
   *
   * @param text the date, null when missing
   */
  public static Optional<String> problem(String text) {
    if (text == null) {
      return Optional.of("missing");
    }
    Optional<Instant> t = parse(text);
    if (t.isEmpty()) {
      return Optional.of("'" + text + "' is not an RFC 3339 date with at most 9 fraction digits");
    }
    if (t.get().isBefore(Instant.EPOCH)) {
      return Optional.of(text + " is before 1970-01-01T00:00:00Z");
    }
    if (t.get().isAfter(LATEST)) {
      return Optional.of(text + " is after " + LATEST);
    }
    return Optional.empty();
  }

  /**
   * Fills every missing {@code created} of {@code config} (the config's own and each history
   * entry's): from {@code SOURCE_DATE_EPOCH} when set, else the newest date of the image iSulad
   * accepts, else 1970-01-01T00:00:00Z. Says on one line what was filled, and warns on one line
   * about dates iSulad's loader will refuse, which are kept.
   *
   * @param config the config, changed in place
   * @param log where the warnings go
   * @return whether anything was filled in
   */
  public static boolean fill(ObjectNode config, Consumer<String> log) {
    List<String> missing = new ArrayList<>();
    List<String> refused = new ArrayList<>();
    Instant newest = null;
    List<ObjectNode> holders = new ArrayList<>();
    List<String> labels = new ArrayList<>();
    holders.add(config);
    labels.add("config");
    JsonNode history = config.get("history");
    if (history != null && history.isArray()) {
      for (int i = 0; i < history.size(); i++) {
        if (history.get(i).isObject()) {
          holders.add((ObjectNode) history.get(i));
          labels.add("history " + i);
        }
      }
    }
    for (int i = 0; i < holders.size(); i++) {
      JsonNode c = holders.get(i).get("created");
      String text = c != null && c.isTextual() ? c.asText() : null;
      if (text == null) {
        missing.add(labels.get(i));
        continue;
      }
      Optional<String> p = problem(text);
      if (p.isPresent()) {
        refused.add(labels.get(i) + ": " + p.get() + fromSourceDateEpoch(text));
      } else {
        Instant t = parse(text).orElseThrow();
        if (newest == null || t.isAfter(newest)) {
          newest = t;
        }
      }
    }
    if (!missing.isEmpty()) {
      Optional<Instant> epoch = sourceDateEpoch();
      String value;
      String from;
      if (epoch.isPresent()) {
        value = format(epoch.get());
        from = "SOURCE_DATE_EPOCH";
      } else if (newest != null) {
        value = format(newest);
        from = "the newest date in the image";
      } else {
        value = format(Instant.EPOCH);
        from = "no date in the image";
      }
      for (int i = 0; i < holders.size(); i++) {
        if (missing.contains(labels.get(i))) {
          holders.get(i).put("created", value);
        }
      }
      log.accept(
          "warning: the image has no created date ("
              + String.join(", ", missing)
              + "), which isula load requires; set it to "
              + value
              + " ("
              + from
              + ")");
      if (epoch.isPresent() && epoch.get().isAfter(LATEST)) {
        refused.add(
            String.join(", ", missing)
                + ": "
                + value
                + " is after "
                + LATEST
                + fromSourceDateEpoch(value));
      }
    }
    if (!refused.isEmpty()) {
      log.accept(
          "warning: isula load will refuse this image, a created date is outside 1970-01-01T00:00:00Z"
              + " to "
              + LATEST
              + " or malformed ("
              + String.join("; ", refused)
              + ")");
    }
    return !missing.isEmpty();
  }

  /** Notes that a date out of range came from {@code SOURCE_DATE_EPOCH}, which was set too late. */
  private static String fromSourceDateEpoch(String text) {
    Optional<Instant> epoch = sourceDateEpoch();
    Optional<Instant> t = parse(text);
    if (epoch.isPresent() && epoch.get().isAfter(LATEST) && t.equals(epoch)) {
      return " (SOURCE_DATE_EPOCH="
          + epoch.get().getEpochSecond()
          + " is above "
          + Integer.MAX_VALUE
          + ")";
    }
    return "";
  }

  /** {@code SOURCE_DATE_EPOCH} when it is set to a number of seconds. */
  public static Optional<Instant> sourceDateEpoch() {
    String epoch = System.getenv("SOURCE_DATE_EPOCH");
    if (epoch != null && epoch.matches("[0-9]{1,12}")) {
      return Optional.of(Instant.ofEpochSecond(Long.parseLong(epoch)));
    }
    return Optional.empty();
  }

  private static String format(Instant t) {
    return DateTimeFormatter.ISO_INSTANT.format(t);
  }
}
