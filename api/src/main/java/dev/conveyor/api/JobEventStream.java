package dev.conveyor.api;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.conveyor.core.CallbackId;
import dev.conveyor.core.JobStatus;
import dev.conveyor.core.StorageUnavailableException;
import io.vertx.core.http.HttpHeaders;
import io.vertx.core.http.HttpServerResponse;
import io.vertx.ext.web.Router;
import io.vertx.ext.web.RoutingContext;
import io.vertx.mutiny.core.Vertx;
import jakarta.enterprise.event.Observes;
import jakarta.inject.Singleton;
import java.time.Duration;
import java.util.Map;
import java.util.Optional;
import org.jboss.logging.Logger;

/**
 * {@code GET /api/v1/work/<id>/events}: the job's states as server-sent events ({@code event:
 * <status>}, {@code data:} the view GET gives), from its current state until a final one, after
 * which the stream ends. An unknown job is a JSON 404, and a refused hold (MAX_WAITERS) or a Redis
 * outage a JSON 503, before any event. Each announced change is read, and an event is sent when the
 * status read differs from the last one sent: a state shorter than a read may be passed over, a
 * final one never. A comment every {@link #KEEP_ALIVE} keeps proxies from timing the stream out. A
 * client that reconnects (after an api restart, say) gets the current state first: nothing is
 * missed. An api that stops ends its streams (and answers a new one with the current state only). A
 * Vert.x route rather than a JAX-RS method, so that the 404 and 503 can still be chosen after the
 * first read and every event leaves at once.
 */
@Singleton
public class JobEventStream {

  private static final Logger LOG = Logger.getLogger(JobEventStream.class);

  /** How often a comment line goes out while nothing happens (HAProxy's timeouts are 30 s). */
  static final Duration KEEP_ALIVE = Duration.ofSeconds(15);

  private final WorkService work;
  private final JobWatch watch;
  private final Vertx vertx;
  private final ObjectMapper json;

  public JobEventStream(WorkService work, JobWatch watch, Vertx vertx, ObjectMapper json) {
    this.work = work;
    this.watch = watch;
    this.vertx = vertx;
    this.json = json;
  }

  void route(@Observes Router router) {
    // before Quarkus REST, whose POST /work/{suffix} would make this path a 405
    router.get("/api/v1/work/:id/events").order(-100).handler(this::open);
  }

  private void open(RoutingContext ctx) {
    Optional<String> id = CallbackId.parse(ctx.pathParam("id"));
    if (id.isEmpty()) {
      refuse(ctx, 404, null);
      return;
    }
    work.status(id.get())
        .subscribe()
        .with(
            view -> {
              if (view.isEmpty()) {
                refuse(ctx, 404, null);
              } else if (Waits.isFinal(view)) {
                start(ctx.response());
                send(ctx.response(), view.get());
                ctx.response().end();
              } else {
                follow(ctx, id.get());
              }
            },
            e -> refuse(ctx, 503, e));
  }

  private void follow(RoutingContext ctx, String id) {
    Stream stream = new Stream(ctx.response(), id);
    watch
        .hold(id, JobWatch.Kind.STREAM, stream::changed, stream::finish)
        .subscribe()
        .with(
            hold -> {
              if (ctx.response().closed()) {
                hold.close();
                return;
              }
              stream.hold = hold;
              start(ctx.response());
              ctx.response().closeHandler(v -> stream.end());
              stream.keepAlive =
                  vertx.setPeriodic(KEEP_ALIVE.toMillis(), t -> stream.write(": keep-alive\n\n"));
              stream.changed(Optional.empty()); // the first event: the state as it is now
            },
            e -> {
              if (e instanceof JobWatch.StoppingException) {
                work.status(id)
                    .subscribe()
                    .with(
                        view -> {
                          if (view.isEmpty()) {
                            refuse(ctx, 404, null);
                            return;
                          }
                          start(ctx.response());
                          send(ctx.response(), view.get());
                          ctx.response().end();
                        },
                        failure -> refuse(ctx, 503, failure));
              } else {
                refuse(ctx, 503, e);
              }
            });
  }

  private static void start(HttpServerResponse response) {
    response
        .setChunked(true)
        .putHeader(HttpHeaders.CONTENT_TYPE, "text/event-stream")
        .putHeader(HttpHeaders.CACHE_CONTROL, "no-cache")
        .putHeader("X-Accel-Buffering", "no");
  }

  private void send(HttpServerResponse response, Map<String, Object> view) {
    String data;
    try {
      data = json.writeValueAsString(view);
    } catch (JsonProcessingException e) {
      throw new IllegalStateException("a job's view is plain JSON", e);
    }
    response.write("event: " + view.get("status") + "\ndata: " + data + "\n\n");
  }

  private static void refuse(RoutingContext ctx, int status, Throwable cause) {
    HttpServerResponse response = ctx.response();
    if (response.headWritten()) {
      response.reset();
      return;
    }
    String body;
    if (status == 404) {
      body = "{\"status\":\"404. not found!\"}";
    } else if (cause instanceof TooManyWaitersException
        || cause instanceof StorageUnavailableException) {
      body =
          "{\"error\":\""
              + (cause instanceof TooManyWaitersException
                  ? cause.getMessage()
                  : "storage unavailable")
              + "\"}";
      response.putHeader(HttpHeaders.RETRY_AFTER, ErrorMappers.RETRY_AFTER_SECONDS);
    } else {
      LOG.error("unexpected error opening an event stream", cause);
      status = 500;
      body = "{\"error\":\"internal error: the request was not completed; see the server log\"}";
    }
    response
        .setStatusCode(status)
        .putHeader(HttpHeaders.CONTENT_TYPE, "application/json")
        .end(body);
  }

  /** One open stream: the last status sent, its reads. */
  private final class Stream {
    private final HttpServerResponse response;
    private final JobReads reads;
    private JobWatch.Hold hold;
    private long keepAlive = -1;
    private String sent;
    private boolean ended;

    Stream(HttpServerResponse response, String id) {
      this.response = response;
      // Redis away: the stream ends; a client that reconnects gets the state then
      this.reads = new JobReads(() -> work.status(id), this::seen, e -> finish());
    }

    void changed(Optional<JobStatus> announced) {
      reads.request();
    }

    private void seen(Optional<Map<String, Object>> view) {
      if (view.isEmpty()) {
        finish(); // expired meanwhile: nothing more will happen to it
        return;
      }
      Object status = view.get().get("status");
      if (!status.equals(sent)) {
        sent = (String) status;
        send(response, view.get());
      }
      if (Waits.isFinal(view)) {
        finish();
      }
    }

    void finish() {
      end();
      if (!response.closed() && !response.ended()) {
        response.end();
      }
    }

    void write(String text) {
      if (!response.closed() && !response.ended()) {
        response.write(text);
      }
    }

    synchronized void end() {
      if (ended) {
        return;
      }
      ended = true;
      reads.stop();
      if (keepAlive >= 0) {
        vertx.cancelTimer(keepAlive);
      }
      if (hold != null) {
        hold.close();
      }
    }
  }
}
