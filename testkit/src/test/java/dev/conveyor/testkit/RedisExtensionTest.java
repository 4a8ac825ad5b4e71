package dev.conveyor.testkit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

@ExtendWith(RedisExtension.class)
class RedisExtensionTest {

  @Test
  void givesEachTestItsOwnPrefixOnARealRedis(TestRedis first, TestRedis second) {
    assertNotEquals(first.prefix(), second.prefix());
    first.call("SET", first.prefix() + ":k", "v");
    assertEquals("v", second.call("GET", first.prefix() + ":k").toString());
  }

  @Test
  void aPrivateRedisKeepsAcceptedDataAcrossAKill(@PrivateRedis TestRedis redis) {
    redis.call("RPUSH", "q", "a", "b");
    redis.server().kill();
    assertFalse(redis.server().isRunning());
    assertThrows(RuntimeException.class, () -> redis.call("PING"));
    redis.server().restart();
    assertTrue(redis.server().isRunning());
    assertEquals(2, redis.call("LLEN", "q").toInteger());
  }
}
