package dev.conveyor.testkit;

import io.quarkus.test.common.QuarkusTestResourceLifecycleManager;
import java.util.Map;

/**
 * For {@code @QuarkusTest}: starts a private real Redis (see {@link RedisServers}), points the
 * app's Redis client at it, and hands the server to test fields annotated {@link InjectRedis} so a
 * test can stop and restart it.
 */
public final class RedisTestResource implements QuarkusTestResourceLifecycleManager {

  private RedisServer server;

  @Override
  public Map<String, String> start() {
    server = RedisServers.start();
    return Map.of("quarkus.redis.hosts", server.url());
  }

  @Override
  public void inject(TestInjector injector) {
    injector.injectIntoFields(
        server, new TestInjector.AnnotatedAndMatchesType(InjectRedis.class, RedisServer.class));
  }

  @Override
  public void stop() {
    if (server != null) {
      server.close();
    }
  }
}
