package dev.conveyor.sysmon;

import io.smallrye.config.ConfigMapping;
import io.smallrye.config.WithDefault;
import java.time.Duration;
import java.util.Optional;

/** Sysmon's settings; each is set by the environment variable named in its comment. */
@ConfigMapping(prefix = "conveyor")
public interface SysmonConfig extends dev.conveyor.core.cluster.ClusterConfig {

  /** NODE_NAME: sysmon's name in the cluster and the ledger; default sysmon-<random>@<host>. */
  Optional<String> nodeName();

  /** REDIS_PREFIX: the prefix of every key of the system to watch. */
  @WithDefault("conveyor")
  String redisPrefix();

  /** REDIS_TIMEOUT: longest wait for one Redis call before Redis counts as down. */
  @WithDefault("1s")
  Duration redisTimeout();

  /** SYSMON_INTERVAL: how often the terminal loop prints and the page is updated. */
  @WithDefault("2s")
  Duration interval();

  /** SYSMON_TERMINAL: print the terminal loop to stdout. */
  @WithDefault("true")
  boolean terminal();

  /** SYSMON_TOKEN: enables the console's actions for callers that present it; unset: no actions. */
  Optional<String> token();

  /** HEARTBEAT_INTERVAL: how often sysmon refreshes its own ledger entry. */
  @WithDefault("2s")
  Duration heartbeatInterval();
}
