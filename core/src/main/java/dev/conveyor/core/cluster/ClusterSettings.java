package dev.conveyor.core.cluster;

import java.time.Duration;
import java.util.Optional;

/**
 * How a node joins the cluster; the apps fill it from {@code CLUSTER_*} environment variables.
 *
 * @param name CLUSTER_NAME: nodes with the same name (and Redis prefix) form one cluster
 * @param bindAddress CLUSTER_BIND_ADDR: an IP, or a JGroups keyword such as {@code non_loopback},
 *     {@code site_local} or {@code match-interface:eth0}
 * @param port CLUSTER_PORT: the first TCP port tried (the next {@code ClusterStack.PORT_RANGE} are
 *     tried when it is taken; 0 for any free port). Failure detection listens 100 above.
 * @param externalAddress CLUSTER_EXTERNAL_ADDR: the address other members must use, behind NAT
 * @param externalPort CLUSTER_EXTERNAL_PORT: the port other members must use, behind NAT (0: same)
 * @param secret CLUSTER_SECRET: members must prove they know it to join or merge
 * @param discoveryRefresh how often a member rewrites its address record in Redis
 */
public record ClusterSettings(
    String name,
    String bindAddress,
    int port,
    Optional<String> externalAddress,
    int externalPort,
    Optional<String> secret,
    Duration discoveryRefresh) {

  public ClusterSettings {
    if (name == null || name.isBlank() || !name.matches("[A-Za-z0-9._-]+")) {
      throw new IllegalArgumentException(
          "CLUSTER_NAME must be letters, digits, '.', '_' or '-', got '" + name + "'");
    }
    secret = secret.filter(s -> !s.isBlank());
  }
}
