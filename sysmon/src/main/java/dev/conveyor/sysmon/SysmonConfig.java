package dev.conveyor.sysmon;

import dev.conveyor.core.cluster.ClusterConfig;
import io.smallrye.config.ConfigMapping;
import io.smallrye.config.WithDefault;
import java.time.Duration;
import java.util.Optional;

/** Sysmon's settings; each is set by the environment variable named in its comment. */
@ConfigMapping(prefix = "conveyor")
public interface SysmonConfig extends ClusterConfig {

  /** SYSMON_INTERVAL: how often the terminal loop prints and the page is updated. */
  @WithDefault("2s")
  Duration interval();

  /** SYSMON_TERMINAL: print the terminal loop to stdout. */
  @WithDefault("true")
  boolean terminal();

  /** SYSMON_TOKEN: enables the console's actions for callers that present it; unset: no actions. */
  Optional<String> token();
}
