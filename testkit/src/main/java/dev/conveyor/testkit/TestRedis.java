package dev.conveyor.testkit;

import io.vertx.mutiny.core.Vertx;
import io.vertx.mutiny.redis.client.Command;
import io.vertx.mutiny.redis.client.Redis;
import io.vertx.mutiny.redis.client.Request;
import io.vertx.mutiny.redis.client.Response;
import io.vertx.redis.client.RedisOptions;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicLong;

/**
 * What a test gets from {@link RedisExtension}: a real Redis, a key prefix no other test uses, and
 * a client for the test's own checks. Closing it never touches other tests' keys.
 */
public final class TestRedis {

  private static final AtomicLong SEQUENCE = new AtomicLong();

  private final RedisServer server;
  private final String prefix;
  private final Vertx vertx;
  private final Redis client;

  TestRedis(RedisServer server, Vertx vertx, String testName) {
    this.server = server;
    this.vertx = vertx;
    this.prefix =
        "t"
            + SEQUENCE.incrementAndGet()
            + "-"
            + testName.replaceAll("[^A-Za-z0-9]", "")
            + "-"
            + ProcessHandle.current().pid();
    this.client =
        Redis.createClient(
            vertx, new RedisOptions().setConnectionString(server.url()).setMaxPoolSize(8));
  }

  public RedisServer server() {
    return server;
  }

  public String url() {
    return server.url();
  }

  /** A key prefix unique to this test, so tests can share one Redis. */
  public String prefix() {
    return prefix;
  }

  public Vertx vertx() {
    return vertx;
  }

  /** A client of this Redis for the test's own use (the code under test gets its own). */
  public Redis client() {
    return client;
  }

  /** Runs one command and waits for its reply: for assertions and set-up. */
  public Response call(String command, String... args) {
    Request request = Request.cmd(Command.create(command));
    for (String arg : args) {
      request.arg(arg);
    }
    return client.send(request).await().atMost(Duration.ofSeconds(5));
  }

  /** The whole of a Redis list, head first. */
  public List<String> list(String key) {
    Response items = call("LRANGE", key, "0", "-1");
    List<String> values = new ArrayList<>();
    for (int i = 0; i < items.size(); i++) {
      values.add(items.get(i).toString());
    }
    return values;
  }

  void close() {
    client.close();
  }
}
