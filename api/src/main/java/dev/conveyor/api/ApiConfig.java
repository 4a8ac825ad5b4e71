package dev.conveyor.api;

import dev.conveyor.core.StoreConfig;
import io.smallrye.config.ConfigMapping;
import io.smallrye.config.WithDefault;

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
}
