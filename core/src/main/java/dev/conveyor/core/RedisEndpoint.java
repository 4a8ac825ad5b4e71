package dev.conveyor.core;

import io.vertx.redis.client.RedisClientType;
import io.vertx.redis.client.RedisOptions;
import io.vertx.redis.client.RedisReplicas;
import io.vertx.redis.client.RedisRole;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;

/**
 * Where Redis is and how to reach it, read the same way by every client a node makes (Quarkus' own,
 * configured from the same variables in each {@code application.properties}, and the ones made for
 * blocking claims, subscriptions and handler tests):
 *
 * <ul>
 *   <li>REDIS_CLIENT_TYPE {@code standalone} (the default): REDIS_URL is the one Redis.
 *   <li>{@code sentinel}: REDIS_URL lists the sentinels, comma-separated ({@code
 *       redis://host:26379,redis://host2:26379}); every connection is made to the master they name
 *       for REDIS_MASTER_NAME, so a failover is followed by making new connections.
 *   <li>{@code cluster}: REDIS_URL lists some masters of a Redis Cluster; commands go to the slot
 *       of their keys, reads included (never to replicas: what was just written must be read).
 * </ul>
 */
public record RedisEndpoint(RedisClientType type, List<String> urls, String masterName) {

  /** The default of REDIS_MASTER_NAME, Redis' own example name. */
  public static final String DEFAULT_MASTER_NAME = "mymaster";

  public RedisEndpoint {
    if (urls.isEmpty()) {
      throw new IllegalArgumentException("REDIS_URL names no Redis");
    }
    if (type == RedisClientType.STANDALONE && urls.size() > 1) {
      throw new IllegalArgumentException(
          "REDIS_URL lists "
              + urls.size()
              + " addresses: set REDIS_CLIENT_TYPE=sentinel (sentinels) or cluster");
    }
  }

  /**
   * From the variables' values: {@code url} one or more comma-separated {@code redis://} URLs,
   * {@code type} standalone, sentinel or cluster (any case), {@code masterName} the sentinels'
   * master set.
   */
  public static RedisEndpoint of(String url, String type, String masterName) {
    List<String> urls =
        Arrays.stream(url.split(",")).map(String::strip).filter(s -> !s.isEmpty()).toList();
    return new RedisEndpoint(parseType(type), urls, masterName);
  }

  /** A single standalone Redis at {@code url} (tests, tools). */
  public static RedisEndpoint standalone(String url) {
    return of(url, "standalone", DEFAULT_MASTER_NAME);
  }

  public static RedisClientType parseType(String type) {
    return switch (type.strip().toLowerCase(Locale.ROOT)) {
      case "standalone", "" -> RedisClientType.STANDALONE;
      case "sentinel" -> RedisClientType.SENTINEL;
      case "cluster" -> RedisClientType.CLUSTER;
      default ->
          throw new IllegalArgumentException(
              "REDIS_CLIENT_TYPE is '" + type + "': use standalone, sentinel or cluster");
    };
  }

  /** Client options for this endpoint; pool sizes and names are the caller's to add. */
  public RedisOptions options() {
    RedisOptions options = new RedisOptions().setType(type);
    urls.forEach(options::addConnectionString);
    if (type == RedisClientType.SENTINEL) {
      options.setMasterName(masterName).setRole(RedisRole.MASTER);
    } else if (type == RedisClientType.CLUSTER) {
      options.setUseReplicas(RedisReplicas.NEVER);
    }
    return options;
  }

  /** For log lines: the addresses without any password. */
  @Override
  public String toString() {
    String where = String.join(",", urls).replaceAll("//[^@/]*@", "//***@");
    return switch (type) {
      case SENTINEL -> "master " + masterName + " of the sentinels " + where;
      case CLUSTER -> "the Redis Cluster at " + where;
      default -> where;
    };
  }
}
