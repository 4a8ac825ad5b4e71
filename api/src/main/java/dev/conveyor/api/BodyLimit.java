package dev.conveyor.api;

import io.quarkus.runtime.configuration.MemorySize;
import io.vertx.core.http.HttpHeaders;
import io.vertx.ext.web.Router;
import jakarta.enterprise.event.Observes;
import jakarta.inject.Singleton;
import org.eclipse.microprofile.config.inject.ConfigProperty;

/**
 * Refuses a body declared larger than MAX_BODY_SIZE with JSON, before it is read. Quarkus would
 * refuse it too, but with an empty body; this route runs first so that a client always gets {@code
 * {"error":…}}. Bodies without a length (chunked) are cut off by Quarkus while they are read, and
 * answered by {@link ErrorMappers}.
 */
@Singleton
public class BodyLimit {

  private final long limit;

  public BodyLimit(@ConfigProperty(name = "quarkus.http.limits.max-body-size") MemorySize limit) {
    this.limit = limit.asLongValue();
  }

  void install(@Observes Router router) {
    router
        .route()
        .order(Integer.MIN_VALUE)
        .handler(
            ctx -> {
              String length = ctx.request().getHeader(HttpHeaders.CONTENT_LENGTH);
              if (length != null && declaredTooLarge(length)) {
                ctx.response()
                    .setStatusCode(413)
                    .putHeader(HttpHeaders.CONTENT_TYPE, "application/json")
                    .putHeader(HttpHeaders.CONNECTION, "close")
                    .end(
                        "{\"error\":\"request body is larger than MAX_BODY_SIZE ("
                            + limit
                            + " bytes)\"}")
                    // the unread body must not be taken for the next request on this connection
                    .onComplete(done -> ctx.request().connection().close());
              } else {
                ctx.next();
              }
            });
  }

  private boolean declaredTooLarge(String length) {
    try {
      return Long.parseLong(length.trim()) > limit;
    } catch (NumberFormatException e) {
      return false; // Vert.x refuses a malformed Content-Length itself
    }
  }
}
