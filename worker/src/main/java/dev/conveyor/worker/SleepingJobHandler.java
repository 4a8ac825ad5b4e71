package dev.conveyor.worker;

import dev.conveyor.core.ClaimedJob;
import dev.conveyor.core.JobSpec;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;
import java.nio.charset.StandardCharsets;
import java.time.Duration;

/**
 * The demo's work, as in the seed: wait WORK_DURATION, then answer a small JSON result. It does the
 * default type's work until a user's handler takes that type (see {@link JobTypes}).
 */
@JobType(JobSpec.DEFAULT_TYPE)
@ApplicationScoped
public class SleepingJobHandler implements JobHandler {

  private final Duration duration;

  @Inject
  public SleepingJobHandler(WorkerConfig config) {
    this(config.workDuration());
  }

  SleepingJobHandler(Duration duration) {
    this.duration = duration;
  }

  /** What the demo work answers. */
  public record Result(int bytes, long slept_ms) {}

  @Override
  public Object handle(ClaimedJob job) throws InterruptedException {
    if (!duration.isZero()) {
      Thread.sleep(duration);
    }
    return new Result(job.data().getBytes(StandardCharsets.UTF_8).length, duration.toMillis());
  }
}
