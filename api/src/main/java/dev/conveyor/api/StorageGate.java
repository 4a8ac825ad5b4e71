package dev.conveyor.api;

import dev.conveyor.core.JobQueue;
import dev.conveyor.core.StorageUnavailableException;
import io.smallrye.mutiny.Uni;
import io.vertx.mutiny.core.Vertx;
import jakarta.enterprise.context.ApplicationScoped;
import java.time.Duration;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.Supplier;
import org.jboss.logging.Logger;

/**
 * Once a Redis call has failed, requests are answered 503 at once until Redis answers a probe
 * again, instead of each waiting out REDIS_TIMEOUT. Where Redis stops refusing and starts being
 * silent (a stopped container's address is gone: connections neither open nor fail), every request
 * would otherwise hold a client for the whole timeout, and a balancer that retries would multiply
 * it. While down, a PING every {@link #PROBE_EVERY} (each bounded by REDIS_TIMEOUT) finds Redis
 * back; any call that succeeds meanwhile does too. The outage is logged once when it starts and
 * once when it ends.
 */
@ApplicationScoped
public class StorageGate {

  private static final Logger LOG = Logger.getLogger(StorageGate.class);

  /** The pause between two probes while Redis is down. */
  static final Duration PROBE_EVERY = Duration.ofMillis(200);

  private final JobQueue queue;
  private final Vertx vertx;
  private final AtomicBoolean down = new AtomicBoolean();

  public StorageGate(JobQueue queue, Vertx vertx) {
    this.queue = queue;
    this.vertx = vertx;
  }

  /**
   * {@code call}'s result; while Redis is known down, a {@link StorageUnavailableException} at once
   * (the call is not made). A storage failure of the call closes the gate.
   */
  public <T> Uni<T> through(Supplier<Uni<T>> call) {
    if (down.get()) {
      return Uni.createFrom()
          .failure(new StorageUnavailableException("Redis is down (answering at once)", null));
    }
    return call.get()
        .onItem()
        .invoke(this::answered)
        .onFailure(StorageUnavailableException.class)
        .invoke(this::failed);
  }

  /** True while Redis is known down. */
  public boolean isDown() {
    return down.get();
  }

  void failed(Throwable cause) {
    if (down.compareAndSet(false, true)) {
      LOG.warnf(
          "Redis unavailable, answering 503 until it returns (REDIS_URL: is the redis service up?): %s",
          cause.getMessage());
      probeLater();
    }
  }

  void answered() {
    if (down.get() && down.compareAndSet(true, false)) {
      LOG.info("Redis answers again: accepting work");
    }
  }

  private void probeLater() {
    vertx.setTimer(
        PROBE_EVERY.toMillis(),
        tick ->
            queue
                .ping()
                .subscribe()
                .with(
                    ok -> answered(),
                    failure -> {
                      if (down.get()) {
                        probeLater();
                      }
                    }));
  }
}
