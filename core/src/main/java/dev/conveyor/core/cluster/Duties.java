package dev.conveyor.core.cluster;

import java.util.LinkedHashMap;
import java.util.Map;

/**
 * How a member answers the requests of others: {@link #STATS}, {@link #PING}, and the verbs of its
 * role, which belong to whoever answers them (a worker's, pause, resume and drain, are in {@code
 * WorkerDuties}). A verb the role does not know throws with the reason, which the asker gets as the
 * reply's error.
 */
@FunctionalInterface
public interface Duties {

  /** What every member answers: its role, state and counters. */
  String STATS = "stats";

  /** What every member answers with nothing: the round trip is the point. */
  String PING = "ping";

  /** This member's fields for {@code verb}, after doing what it asks. */
  Map<String, String> answer(String verb);

  /**
   * The duties of a node that only watches (sysmon, the shell): it answers {@link #STATS} and
   * {@link #PING} with its role, and refuses every other verb.
   */
  static Duties observer(String role, String node) {
    return verb -> {
      if (!STATS.equals(verb) && !PING.equals(verb)) {
        throw new UnsupportedOperationException(
            node + " is a " + role + ": it has no jobs to pause, resume or drain");
      }
      Map<String, String> fields = new LinkedHashMap<>();
      fields.put("role", role);
      fields.put("state", "running");
      return fields;
    };
  }
}
