package dev.conveyor.api;

import io.quarkus.runtime.configuration.MemorySize;
import io.vertx.core.http.HttpHeaders;
import io.vertx.core.http.HttpServerRequest;
import io.vertx.ext.web.Router;
import io.vertx.ext.web.RoutingContext;
import jakarta.enterprise.event.Observes;
import jakarta.inject.Singleton;
import org.eclipse.microprofile.config.inject.ConfigProperty;

/**
 * What the API checks of a request before anything reads its body, for clients that reach it
 * directly (Kubernetes Services, health checkers) as well as through HAProxy:
 *
 * <ul>
 *   <li>Framing (RFC 9112 §6.1): a {@code Transfer-Encoding} other than {@code chunked} alone, or
 *       one beside a {@code Content-Length}, is a JSON 400 and the connection is closed: the two
 *       ends could disagree on where the body ends, and whatever followed would be read as another
 *       request. A chunked body is read, and its connection is closed after the answer (Netty drops
 *       a {@code Content-Length} sent with {@code chunked} before this sees it, so a chunked
 *       request cannot be trusted to have been framed as its sender meant).
 *   <li>Size: a body declared larger than MAX_BODY_SIZE is a JSON 413, before it is read (Quarkus
 *       would refuse it with an empty body; a chunked one is cut off while read, see {@link
 *       ErrorMappers}).
 *   <li>Time: a body not received whole within BODY_TIMEOUT of its headers is a JSON 408, and the
 *       connection is closed (a client that announces a body and stalls holds nothing longer).
 * </ul>
 */
@Singleton
public class RequestGuard {

  private final long maxBody;
  private final long bodyTimeoutMs;

  public RequestGuard(
      @ConfigProperty(name = "quarkus.http.limits.max-body-size") MemorySize maxBody,
      ApiConfig config) {
    this.maxBody = maxBody.asLongValue();
    this.bodyTimeoutMs = Math.max(1, config.bodyTimeout().toMillis());
  }

  void install(@Observes Router router) {
    router.route().order(Integer.MIN_VALUE).handler(this::check);
  }

  private void check(RoutingContext ctx) {
    HttpServerRequest request = ctx.request();
    String coding = request.getHeader(HttpHeaders.TRANSFER_ENCODING);
    String length = request.getHeader(HttpHeaders.CONTENT_LENGTH);
    if (coding != null) {
      if (length != null || !coding.trim().equalsIgnoreCase("chunked")) {
        refuse(
            ctx,
            400,
            "ambiguous or unsupported framing: send a body with Content-Length, or with"
                + " Transfer-Encoding: chunked alone");
        return;
      }
      ctx.addEndHandler(done -> request.connection().close());
    } else if (length != null && declaredTooLarge(length)) {
      refuse(ctx, 413, "request body is larger than MAX_BODY_SIZE (" + maxBody + " bytes)");
      return;
    }
    if ((coding != null || (length != null && !length.trim().equals("0"))) && !request.isEnded()) {
      long timer = ctx.vertx().setTimer(bodyTimeoutMs, id -> bodyTimedOut(ctx));
      ctx.addEndHandler(done -> ctx.vertx().cancelTimer(timer));
    }
    ctx.next();
  }

  private void bodyTimedOut(RoutingContext ctx) {
    if (!ctx.request().isEnded() && !ctx.response().headWritten()) {
      refuse(
          ctx,
          408,
          "the request body did not arrive within BODY_TIMEOUT ("
              + bodyTimeoutMs
              + " ms); send it whole and promptly");
    }
  }

  /**
   * Answers JSON and closes the connection: the unread body must not be taken for the next request.
   * A request whose framing cannot be trusted is cut at once: by the time its answer is written
   * Vert.x would have read the bytes after its head (a pipelined request) as the next one. One
   * whose body has a known length (413, 408) is closed once its answer is written, so a client
   * still sending its body reads the answer rather than a reset.
   */
  private static void refuse(RoutingContext ctx, int status, String message) {
    ctx.response().putHeader(HttpHeaders.CONNECTION, "close");
    var written = Refusals.send(ctx.response(), status, message);
    if (status == 400) {
      ctx.request().connection().close();
    } else {
      written.onComplete(done -> ctx.request().connection().close());
    }
  }

  private boolean declaredTooLarge(String length) {
    try {
      return Long.parseLong(length.trim()) > maxBody;
    } catch (NumberFormatException e) {
      return false; // Vert.x refuses a malformed Content-Length itself
    }
  }
}
