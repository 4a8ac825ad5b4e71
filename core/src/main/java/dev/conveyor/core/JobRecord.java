package dev.conveyor.core;

import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * What Redis holds of one job, as read by the API and the consoles (the data itself is left out: it
 * can be large and readers do not need it).
 *
 * @param id the callback id
 * @param status where the job is in its life
 * @param fields the other stored fields by name ({@code attempts}, {@code worker}, {@code result},
 *     {@code last_error}, timestamps in epoch milliseconds, …); absent ones are not in the map
 */
public record JobRecord(String id, JobStatus status, Map<String, String> fields) {

  /** Fields a reader may see, in the order the API shows them. */
  public static final List<String> READABLE_FIELDS =
      List.of(
          "status",
          "type",
          "priority",
          "attempts",
          "accepted_by",
          "accepted_at",
          "run_at",
          "worker",
          "started_at",
          "worked_by",
          "finished_at",
          "cancelled_at",
          "result",
          "last_error",
          "retry_at",
          "failed_at",
          "recoveries");

  public Optional<String> field(String name) {
    return Optional.ofNullable(fields.get(name));
  }
}
