package dev.conveyor.core;

import java.net.InetAddress;
import java.net.UnknownHostException;
import java.util.HexFormat;
import java.util.Optional;
import java.util.concurrent.ThreadLocalRandom;

/**
 * Default node names, as the seed named its nodes: {@code api@<hostname>} for an API instance,
 * {@code worker-<short random>@<hostname>} for a worker (several run on one host). {@code
 * NODE_NAME} overrides both.
 */
public final class NodeNames {

  private NodeNames() {}

  /** The configured name if there is one, else {@code role@host}. */
  public static String apiName(Optional<String> configured) {
    return configured.filter(s -> !s.isBlank()).orElseGet(() -> "api@" + hostname());
  }

  /** The configured name if there is one, else {@code worker-<6 hex>@host}. */
  public static String workerName(Optional<String> configured) {
    return numbered("worker", configured);
  }

  /** The configured name if there is one, else {@code <role>-<6 hex>@host}. */
  public static String numbered(String role, Optional<String> configured) {
    return configured
        .filter(s -> !s.isBlank())
        .orElseGet(
            () ->
                role
                    + "-"
                    + HexFormat.of().toHexDigits(ThreadLocalRandom.current().nextInt()).substring(2)
                    + "@"
                    + hostname());
  }

  /** This machine's name: $HOSTNAME (a container's id in compose), else what the OS says. */
  public static String hostname() {
    String env = System.getenv("HOSTNAME");
    if (env != null && !env.isBlank()) {
      return env;
    }
    try {
      return InetAddress.getLocalHost().getHostName();
    } catch (UnknownHostException e) {
      return "localhost";
    }
  }
}
