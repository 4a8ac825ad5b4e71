package dev.conveyor.api;

import dev.conveyor.core.RedisKeys;
import io.vertx.mutiny.redis.client.Command;
import io.vertx.mutiny.redis.client.Redis;
import io.vertx.mutiny.redis.client.Request;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

/** What the api's tests read of their private Redis, straight from the client the api uses. */
final class RedisCalls {

  private RedisCalls() {}

  /** One command's answer as text, null for none. */
  static String call(Redis redis, Command command, String... args) {
    Request request = Request.cmd(command);
    for (String arg : args) {
      request.arg(arg);
    }
    var response = redis.send(request).await().atMost(Duration.ofSeconds(5));
    return response == null ? null : response.toString();
  }

  /**
   * Every key of the test's private Redis but the ledger's (the API's own heartbeat): submit-8
   * always writes the stats hash, so an empty list proves no submission was made.
   */
  static List<String> jobStateKeys(Redis redis, RedisKeys keys) {
    var found =
        redis.send(Request.cmd(Command.KEYS).arg("*")).await().atMost(Duration.ofSeconds(5));
    List<String> names = new ArrayList<>();
    for (int i = 0; i < found.size(); i++) {
      String key = found.get(i).toString();
      if (!key.equals(keys.ledger())
          && !key.equals(keys.cancelSecret())
          && !key.startsWith(keys.node(""))) {
        names.add(key);
      }
    }
    return names;
  }
}
