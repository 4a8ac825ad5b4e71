package dev.conveyor.api;

import dev.conveyor.core.StoreConfig;
import io.smallrye.config.ConfigMapping;
import io.smallrye.config.WithDefault;
import java.time.Duration;
import java.util.Optional;

/** The API's settings; each is set by the environment variable named in its comment. */
@ConfigMapping(prefix = "conveyor")
public interface ApiConfig extends StoreConfig {

  /**
   * SUBMIT_IN_FLIGHT: submit calls to Redis at the same time; POSTs that arrive while that many are
   * in flight wait and go together in the next call (group commit).
   */
  @WithDefault("2")
  int submitInFlight();

  /** SUBMIT_BATCH: most jobs in one submit call. */
  @WithDefault("64")
  int submitBatch();

  /**
   * CANCEL_SECRET: the key cancel tokens are signed with (HMAC-SHA256 of the callback); the same on
   * every api. Unset: a random one the first api makes and keeps in Redis.
   */
  Optional<String> cancelSecret();

  /** RESULT_TTL: how long a cancelled job stays readable (as the workers keep a worked one). */
  @WithDefault("10s")
  Duration resultTtl();

  /**
   * NOTIFY_ALLOWED_HOSTS: the hosts a notify_url may name, comma-separated; empty (the default):
   * webhooks are off and a notify_url is refused with 400.
   */
  Optional<String> notifyAllowedHosts();

  /**
   * BODY_TIMEOUT: how long a request body may take to arrive after its headers; then 408 and the
   * connection is closed ({@link RequestGuard}).
   */
  @WithDefault("10s")
  Duration bodyTimeout();

  /** MAX_WAIT: the longest a GET ?wait= holds its answer (a longer wait is cut to it). */
  @WithDefault("60s")
  Duration maxWait();

  /** MAX_WAITERS: waits and event streams one api holds at once; past it, 503 with Retry-After. */
  @WithDefault("10000")
  int maxWaiters();
}
