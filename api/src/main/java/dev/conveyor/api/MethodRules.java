package dev.conveyor.api;

import io.vertx.core.http.HttpHeaders;
import io.vertx.core.http.HttpMethod;
import io.vertx.ext.web.Router;
import jakarta.enterprise.event.Observes;
import jakarta.inject.Singleton;

/**
 * The API answers GET and POST, and DELETE on a job: every other method is a JSON 405 with an
 * {@code Allow} header naming the path's methods, OPTIONS included (Quarkus REST would answer it
 * 200 by itself, which the README's contract does not allow).
 */
@Singleton
public class MethodRules {

  static final String MESSAGE =
      "method not allowed: use POST /api/v1/work, GET or DELETE /api/v1/work/<callback>";

  /** The methods of a path: {@code /api/v1/work} takes GET and POST, a job DELETE too. */
  static String allowedOn(String path) {
    String rest = path.startsWith("/api/v1/work") ? path.substring("/api/v1/work".length()) : "";
    return rest.length() > 1 && rest.indexOf('/', 1) < 0 ? "GET, POST, DELETE" : "GET, POST";
  }

  void refuseOptions(@Observes Router router) {
    router
        .route()
        .method(HttpMethod.OPTIONS)
        .order(Integer.MIN_VALUE)
        .handler(
            ctx -> {
              ctx.response().putHeader(HttpHeaders.ALLOW, allowedOn(ctx.normalizedPath()));
              Refusals.send(ctx.response(), 405, MESSAGE);
            });
  }
}
