package dev.conveyor.core;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.vertx.redis.client.RedisClientType;
import io.vertx.redis.client.RedisOptions;
import io.vertx.redis.client.RedisReplicas;
import io.vertx.redis.client.RedisRole;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Test;

/** REDIS_CLIENT_TYPE, REDIS_URL and REDIS_MASTER_NAME, read into client options. */
class RedisEndpointTest {

  @Test
  void standaloneIsOneRedis() {
    RedisOptions options =
        RedisEndpoint.of("redis://127.0.0.1:6379", "standalone", "mymaster").options();
    assertEquals(RedisClientType.STANDALONE, options.getType());
    assertEquals(List.of("redis://127.0.0.1:6379"), options.getEndpoints());
  }

  @Test
  void sentinelListsTheSentinelsAndAsksForTheMaster() {
    RedisEndpoint endpoint =
        RedisEndpoint.of(
            " redis://10.0.0.1:26379, redis://10.0.0.2:26379 ,redis://10.0.0.3:26379",
            "Sentinel",
            "orders");
    RedisOptions options = endpoint.options();
    assertEquals(RedisClientType.SENTINEL, options.getType());
    assertEquals(
        List.of("redis://10.0.0.1:26379", "redis://10.0.0.2:26379", "redis://10.0.0.3:26379"),
        options.getEndpoints());
    assertEquals("orders", options.getMasterName());
    assertEquals(RedisRole.MASTER, options.getRole());
    assertTrue(endpoint.toString().startsWith("master orders of the sentinels"));
  }

  @Test
  void clusterNeverReadsFromReplicas() {
    RedisOptions options =
        RedisEndpoint.of("redis://a:7000,redis://b:7001", "cluster", "mymaster").options();
    assertEquals(RedisClientType.CLUSTER, options.getType());
    assertEquals(RedisReplicas.NEVER, options.getUseReplicas());
  }

  @Test
  void mistakesAreNamedAtStart() {
    IllegalArgumentException several =
        assertThrows(
            IllegalArgumentException.class,
            () -> RedisEndpoint.of("redis://a:1,redis://b:2", "standalone", "m"));
    assertTrue(several.getMessage().contains("REDIS_CLIENT_TYPE=sentinel"), several.getMessage());
    IllegalArgumentException unknown =
        assertThrows(
            IllegalArgumentException.class, () -> RedisEndpoint.of("redis://a:1", "replicas", "m"));
    assertTrue(unknown.getMessage().contains("standalone, sentinel or cluster"));
    assertThrows(IllegalArgumentException.class, () -> RedisEndpoint.of(" , ", "sentinel", "m"));
  }

  @Test
  void aPasswordNeverReachesALogLine() {
    assertEquals(
        "redis://***@host:6379",
        RedisEndpoint.of("redis://:secret@host:6379", "standalone", "m").toString());
  }

  @Test
  void waitingForReplicasNeedsATimeLimit() {
    assertThrows(IllegalArgumentException.class, () -> new Durability(1, Duration.ZERO));
    assertThrows(IllegalArgumentException.class, () -> new Durability(-1, Duration.ofSeconds(1)));
    assertTrue(new Durability(1, Duration.ofMillis(250)).waits());
    assertTrue(!Durability.NONE.waits());
  }
}
