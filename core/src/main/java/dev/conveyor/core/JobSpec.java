package dev.conveyor.core;

import java.util.List;
import java.util.regex.Pattern;

/**
 * What a submission says besides its data: which type of work it is, its priority, and when it is
 * due. Each part is null when the request did not give it; a spec with none is the seed's job (the
 * default type, normal priority, due now), stored and queued exactly as before types existed.
 *
 * @param type the handler's type ({@link #TYPE_RULE}), or null for the default type
 * @param priority {@code high}, {@code normal} or {@code low}, or null for normal
 * @param delayMillis due this long after Redis accepts it, or null
 * @param runAtMillis due at this epoch millisecond, or null (never both with a delay)
 * @param notifyUrl where to POST the job's final view (a webhook), or null; checked by the api
 */
public record JobSpec(
    String type, String priority, Long delayMillis, Long runAtMillis, String notifyUrl) {

  /** The type of a job that names none: the demo work, or the handler a user makes the default. */
  public static final String DEFAULT_TYPE = "default";

  /** The priorities, in the order a worker takes them. */
  public static final List<String> PRIORITIES = List.of("high", "normal", "low");

  /** The priority of a job that names none. */
  public static final String NORMAL = "normal";

  /** What a type looks like: it names keys and metrics, so a short lowercase word. */
  public static final Pattern TYPE_RULE = Pattern.compile("[a-z][a-z0-9_.-]{0,63}");

  /** The seed's job: nothing but data. */
  public static final JobSpec PLAIN = new JobSpec(null, null, null, null, null);

  /** A spec with no webhook. */
  public JobSpec(String type, String priority, Long delayMillis, Long runAtMillis) {
    this(type, priority, delayMillis, runAtMillis, null);
  }

  public JobSpec {
    if (type != null && !TYPE_RULE.matcher(type).matches()) {
      throw new IllegalArgumentException("type must match " + TYPE_RULE + ", got " + type);
    }
    if (priority != null && !PRIORITIES.contains(priority)) {
      throw new IllegalArgumentException("priority must be one of " + PRIORITIES);
    }
    if (delayMillis != null && runAtMillis != null) {
      throw new IllegalArgumentException("a job has a delay or a run_at, not both");
    }
    if (notifyUrl != null && (notifyUrl.isEmpty() || notifyUrl.indexOf('\n') >= 0)) {
      throw new IllegalArgumentException("a notify URL is one line of text");
    }
  }

  /** A job of this type, otherwise plain. */
  public static JobSpec ofType(String type) {
    return new JobSpec(type, null, null, null);
  }

  /** The type that works it: the default type when none was given. */
  public String typeOrDefault() {
    return type == null ? DEFAULT_TYPE : type;
  }

  /** The priority it is taken at: normal when none was given. */
  public String priorityOrNormal() {
    return priority == null ? NORMAL : priority;
  }

  /**
   * As {@code submit-8} reads it: '' for the seed's job, else {@code type,priority,due}, followed
   * by {@code ,notify_url} when there is one.
   */
  String wire() {
    if (this.equals(PLAIN)) {
      return "";
    }
    String due =
        delayMillis != null ? "+" + delayMillis : runAtMillis != null ? runAtMillis.toString() : "";
    String spec = (type == null ? "" : type) + "," + (priority == null ? "" : priority) + "," + due;
    return notifyUrl == null ? spec : spec + "," + notifyUrl;
  }
}
