package dev.conveyor.api;

import io.micrometer.core.instrument.Metrics;
import io.vertx.core.http.HttpHeaders;
import io.vertx.core.http.HttpMethod;
import io.vertx.ext.web.Router;
import jakarta.enterprise.event.Observes;
import jakarta.inject.Singleton;

/**
 * The API answers GET and POST only: every other method is a JSON 405 with an {@code Allow} header,
 * OPTIONS included (Quarkus REST would answer it 200 by itself, which the README's contract does
 * not allow).
 */
@Singleton
public class MethodRules {

  /** The methods of {@code /api/v1/work} and everything under it. */
  static final String ALLOWED = "GET, POST";

  static final String MESSAGE =
      "method not allowed: use POST /api/v1/work or GET /api/v1/work/<callback>";

  void refuseOptions(@Observes Router router) {
    router
        .route()
        .method(HttpMethod.OPTIONS)
        .order(Integer.MIN_VALUE)
        .handler(
            ctx -> {
              Metrics.counter("conveyor.requests.refused", "status", "405").increment();
              ctx.response()
                  .setStatusCode(405)
                  .putHeader(HttpHeaders.ALLOW, ALLOWED)
                  .putHeader(HttpHeaders.CONTENT_TYPE, "application/json")
                  .end("{\"error\":\"" + MESSAGE + "\"}");
            });
  }
}
