package dev.conveyor.worker;

import dev.conveyor.core.JobSpec;

/**
 * One type of work a worker serves: its handler, and how many of its jobs run at once (each type
 * has its own claim loop and slots, so a slow type never holds up another).
 *
 * @param type as jobs name it ({@link JobSpec#DEFAULT_TYPE} for jobs that name none)
 * @param handler the work
 * @param concurrency jobs of this type worked at once (WORKER_CONCURRENCY_&lt;TYPE&gt;)
 */
public record ServedType(String type, JobHandler handler, int concurrency) {

  public ServedType {
    if (!JobSpec.TYPE_RULE.matcher(type).matches()) {
      throw new IllegalArgumentException(
          "a job type must match " + JobSpec.TYPE_RULE + ", got \"" + type + "\"");
    }
    if (concurrency < 1) {
      throw new IllegalArgumentException(
          "the concurrency of type " + type + " must be at least 1, got " + concurrency);
    }
  }

  /** The default type's handler. */
  public static ServedType ofDefault(JobHandler handler, int concurrency) {
    return new ServedType(JobSpec.DEFAULT_TYPE, handler, concurrency);
  }
}
