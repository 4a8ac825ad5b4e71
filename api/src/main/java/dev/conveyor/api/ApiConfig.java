package dev.conveyor.api;

import io.smallrye.config.ConfigMapping;
import io.smallrye.config.WithDefault;
import java.time.Duration;
import java.util.Optional;

/** The API's settings; each is set by the environment variable named in its comment. */
@ConfigMapping(prefix = "conveyor")
public interface ApiConfig {

  /** NODE_NAME: this instance's name, shown as {@code accepted_by}; default {@code api@<host>}. */
  Optional<String> nodeName();

  /** REDIS_PREFIX: the prefix of every key, so several systems can share one Redis. */
  @WithDefault("conveyor")
  String redisPrefix();

  /** REDIS_TIMEOUT: longest wait for one Redis call before answering 503; keeps 503s fast. */
  @WithDefault("500ms")
  Duration redisTimeout();

  /**
   * SUBMIT_IN_FLIGHT: submit calls to Redis at the same time; POSTs that arrive while that many are
   * in flight wait and go together in the next call (group commit).
   */
  @WithDefault("2")
  int submitInFlight();

  /** SUBMIT_BATCH: most jobs in one submit call. */
  @WithDefault("64")
  int submitBatch();

  /** HEARTBEAT_INTERVAL: how often the ledger entry is refreshed; it expires after three. */
  @WithDefault("2s")
  Duration heartbeatInterval();
}
