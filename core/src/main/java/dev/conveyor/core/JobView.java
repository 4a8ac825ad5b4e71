package dev.conveyor.core;

import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Set;
import java.util.function.Function;

/**
 * A job as clients see it (GET, the events stream, the webhook's body): status and callback first,
 * then the stored fields in {@link JobRecord#READABLE_FIELDS}' order, timestamps as ISO-8601
 * instants, counts as numbers and the result as the JSON the handler returned. One rendering for
 * every way out, so a webhook's body is byte for byte what a GET showed.
 */
public final class JobView {

  /** Stored fields that are epoch milliseconds, shown as ISO-8601 instants. */
  private static final Set<String> TIMESTAMPS =
      Set.of(
          "accepted_at",
          "run_at",
          "started_at",
          "finished_at",
          "cancelled_at",
          "retry_at",
          "failed_at");

  private static final Set<String> COUNTS = Set.of("attempts", "recoveries");

  private JobView() {}

  /**
   * @param parseJson reads a handler's result (JSON text) into what the caller's JSON writer writes
   *     as that JSON; it may throw, and the result is shown as text then
   * @param note a line for the client, or null
   */
  public static Map<String, Object> of(
      JobRecord job, Function<String, Object> parseJson, String note) {
    Map<String, Object> view = new LinkedHashMap<>();
    view.put("status", job.status().wire());
    view.put("callback", job.id());
    job.fields().forEach((name, value) -> view.put(name, render(name, value, parseJson)));
    if (note != null) {
      view.put("note", note);
    }
    return view;
  }

  private static Object render(String name, String value, Function<String, Object> parseJson) {
    if (TIMESTAMPS.contains(name)) {
      return Instant.ofEpochMilli(Long.parseLong(value)).toString();
    }
    if (COUNTS.contains(name)) {
      return Integer.parseInt(value);
    }
    if (name.equals("result")) {
      try {
        return parseJson.apply(value);
      } catch (RuntimeException e) {
        return value; // a handler's result is JSON; should one not be, show it as text
      }
    }
    return value;
  }
}
