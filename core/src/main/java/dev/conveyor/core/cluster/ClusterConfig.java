package dev.conveyor.core.cluster;

import dev.conveyor.core.StoreConfig;
import io.smallrye.config.WithDefault;
import java.util.Optional;

/**
 * The cluster settings every member reads from its environment (workers, sysmon, the shell): the
 * apps' config mappings extend it, so the keys, their defaults and their meaning are written once.
 * A member also reaches the store, whose settings come with it.
 */
public interface ClusterConfig extends StoreConfig {

  /** CLUSTER_NAME: nodes with the same name (and Redis prefix) form one cluster. */
  @WithDefault("conveyor")
  String clusterName();

  /** CLUSTER_BIND_ADDR: the IP to listen on, or a JGroups keyword (non_loopback, site_local). */
  @WithDefault("non_loopback")
  String clusterBindAddr();

  /** CLUSTER_PORT: the first TCP port tried; the next 50 are tried when it is taken. */
  @WithDefault("7800")
  int clusterPort();

  /** CLUSTER_EXTERNAL_ADDR: the address other members must use to reach this one (NAT). */
  Optional<String> clusterExternalAddr();

  /** CLUSTER_EXTERNAL_PORT: the port other members must use to reach this one (NAT); 0: same. */
  @WithDefault("0")
  int clusterExternalPort();

  /** CLUSTER_SECRET: a node must know it to join; without it, anyone who can connect joins. */
  Optional<String> clusterSecret();

  /** These settings, with discovery records refreshed every HEARTBEAT_INTERVAL. */
  default ClusterSettings clusterSettings() {
    return new ClusterSettings(
        clusterName(),
        clusterBindAddr(),
        clusterPort(),
        clusterExternalAddr(),
        clusterExternalPort(),
        clusterSecret(),
        heartbeatInterval());
  }
}
