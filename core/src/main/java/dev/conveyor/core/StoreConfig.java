package dev.conveyor.core;

import io.smallrye.config.WithDefault;
import java.time.Duration;
import java.util.Optional;

/**
 * The settings every node reads to reach the store (the api, the workers, sysmon and the shell):
 * the apps' config mappings extend it, so these keys and their meaning are written once. Each app
 * sets its own default for REDIS_TIMEOUT in its {@code application.properties}.
 */
public interface StoreConfig {

  /** NODE_NAME: this node's name in the ledger (and the cluster); default per role and host. */
  Optional<String> nodeName();

  /** REDIS_PREFIX: the prefix of every key, so several systems can share one Redis. */
  @WithDefault(RedisKeys.DEFAULT_PREFIX)
  String redisPrefix();

  /** REDIS_TIMEOUT: longest wait for one Redis call before it counts as an outage. */
  @WithDefault("1s")
  Duration redisTimeout();

  /** HEARTBEAT_INTERVAL: how often the node's ledger entry is refreshed; it expires after three. */
  @WithDefault("2s")
  Duration heartbeatInterval();
}
