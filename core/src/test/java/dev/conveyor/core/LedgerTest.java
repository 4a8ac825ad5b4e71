package dev.conveyor.core;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.conveyor.testkit.RedisExtension;
import dev.conveyor.testkit.TestRedis;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

@ExtendWith(RedisExtension.class)
class LedgerTest {

  private static Ledger ledger(TestRedis redis) {
    return new Ledger(redis.client(), new RedisKeys(redis.prefix()), Duration.ofSeconds(2));
  }

  private static List<String> names(Ledger ledger) {
    return ledger.members().await().atMost(Duration.ofSeconds(5)).stream()
        .map(Ledger.Entry::name)
        .sorted()
        .toList();
  }

  @Test
  void aBeatingNodeIsListedWithItsFieldsAndATtlOfThreeBeats(TestRedis redis) {
    Ledger ledger = ledger(redis);
    ledger
        .heartbeat("w1@h", Duration.ofSeconds(2), Map.of("role", "worker", "state", "running"))
        .await()
        .indefinitely();
    Ledger.Entry entry = ledger.members().await().indefinitely().getFirst();
    assertEquals("w1@h", entry.name());
    assertEquals("worker", entry.field("role"));
    assertEquals("running", entry.field("state"));
    assertTrue(Long.parseLong(entry.field("last_beat")) > 0);
    long ttl = redis.call("PTTL", new RedisKeys(redis.prefix()).node("w1@h")).toLong();
    assertTrue(ttl > 5_000 && ttl <= 6_000, "ttl " + ttl);
  }

  @Test
  void aNodeThatStopsBeatingDropsOutByItself(TestRedis redis) {
    Ledger ledger = ledger(redis);
    ledger
        .heartbeat("dies@h", Duration.ofMillis(100), Map.of("role", "worker"))
        .await()
        .indefinitely();
    ledger
        .heartbeat("lives@h", Duration.ofSeconds(10), Map.of("role", "api"))
        .await()
        .indefinitely();
    assertEquals(List.of("dies@h", "lives@h"), names(ledger));
    Awaitility.await()
        .atMost(Duration.ofSeconds(3))
        .until(() -> names(ledger).equals(List.of("lives@h")));
    ledger
        .heartbeat("lives@h", Duration.ofSeconds(10), Map.of("role", "api"))
        .await()
        .indefinitely();
    assertEquals(
        1, redis.call("ZCARD", new RedisKeys(redis.prefix()).ledger()).toInteger(), "index pruned");
  }

  @Test
  void aNodeThatLeavesIsGoneAtOnce(TestRedis redis) {
    Ledger ledger = ledger(redis);
    ledger
        .heartbeat("w1@h", Duration.ofSeconds(10), Map.of("role", "worker"))
        .await()
        .indefinitely();
    ledger.leave("w1@h").await().indefinitely();
    assertEquals(List.of(), names(ledger));
  }
}
