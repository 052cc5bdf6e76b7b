package dev.isula.toolkit.image;

import java.time.Instant;
import java.time.format.DateTimeFormatter;
import java.time.temporal.ChronoUnit;

/** Creation times for new images: now, or {@code SOURCE_DATE_EPOCH} for reproducible builds. */
public final class ImageTimes {
  private ImageTimes() {}

  /** RFC 3339 UTC time with seconds precision, as image configs carry it. */
  public static String created() {
    Instant t =
        CreatedDates.sourceDateEpoch()
            .orElseGet(() -> Instant.now().truncatedTo(ChronoUnit.SECONDS));
    return DateTimeFormatter.ISO_INSTANT.format(t);
  }
}
