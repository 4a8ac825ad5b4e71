package dev.conveyor.testkit;

import io.vertx.mutiny.core.Vertx;
import java.time.Duration;
import org.junit.jupiter.api.extension.ExtensionContext;
import org.junit.jupiter.api.extension.ParameterContext;
import org.junit.jupiter.api.extension.ParameterResolutionException;
import org.junit.jupiter.api.extension.ParameterResolver;

/**
 * Gives a test method a {@link TestRedis} parameter backed by a real Redis (see {@link
 * RedisServers} for where it comes from). One shared Redis serves the whole test run, started on
 * first use; a parameter marked {@link PrivateRedis} gets a Redis of its own.
 */
public final class RedisExtension implements ParameterResolver {

  static {
    TestLogging.toConsole();
  }

  private static final ExtensionContext.Namespace NAMESPACE =
      ExtensionContext.Namespace.create(RedisExtension.class);

  @Override
  public boolean supportsParameter(ParameterContext parameter, ExtensionContext context) {
    return parameter.getParameter().getType() == TestRedis.class;
  }

  @Override
  public Object resolveParameter(ParameterContext parameter, ExtensionContext context)
      throws ParameterResolutionException {
    ExtensionContext.Store shared = context.getRoot().getStore(NAMESPACE);
    Vertx vertx =
        shared
            .getOrComputeIfAbsent(
                "vertx", k -> new ClosableVertx(Vertx.vertx()), ClosableVertx.class)
            .vertx();
    RedisServer server;
    if (parameter.isAnnotated(PrivateRedis.class)) {
      server = RedisServers.start();
      context
          .getStore(NAMESPACE)
          .put(parameter.getIndex() + "-server", (AutoCloseable) server::close);
    } else {
      server =
          shared
              .getOrComputeIfAbsent(
                  "server", k -> new SharedServer(RedisServers.start()), SharedServer.class)
              .server();
    }
    TestRedis redis = new TestRedis(server, vertx, context.getDisplayName());
    context.getStore(NAMESPACE).put(parameter.getIndex() + "-client", (AutoCloseable) redis::close);
    return redis;
  }

  private record SharedServer(RedisServer server) implements AutoCloseable {
    @Override
    public void close() {
      server.close();
    }
  }

  private record ClosableVertx(Vertx vertx) implements AutoCloseable {
    @Override
    public void close() {
      vertx.close().await().atMost(Duration.ofSeconds(10));
    }
  }
}
