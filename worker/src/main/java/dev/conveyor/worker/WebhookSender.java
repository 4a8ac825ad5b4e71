package dev.conveyor.worker;

import com.fasterxml.jackson.core.type.TypeReference;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.conveyor.core.JobRecord;
import dev.conveyor.core.JobStatus;
import dev.conveyor.core.JobView;
import dev.conveyor.core.NotifyUrl;
import dev.conveyor.core.StorageUnavailableException;
import dev.conveyor.core.WebhookOutbox;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.Metrics;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;
import org.jboss.logging.Logger;

/**
 * Sends the webhooks every worker shares: it takes due deliveries from the outbox in Redis ({@link
 * WebhookOutbox}) under a lease, POSTs each job's final view (the JSON a GET showed) to its URL,
 * signed {@code X-Conveyor-Signature: sha256=<hex HMAC-SHA256 of the body under NOTIFY_SECRET>},
 * and settles it: delivered on a 2xx, else tried again after a doubling backoff, and given up after
 * NOTIFY_MAX_ATTEMPTS (listed as undelivered). Redirects are not followed and every request has a
 * short timeout. A delivery whose sender dies is taken again when its lease runs out: each is sent
 * at least once, and a receiver should expect a repeat (same callback, same body).
 */
final class WebhookSender {

  private static final Logger LOG = Logger.getLogger(WebhookSender.class);

  /** How often an idle sender looks for due deliveries. */
  static final Duration POLL = Duration.ofMillis(200);

  /** Most deliveries taken and sent at once. */
  static final int BATCH = 32;

  /** The first retry's wait; it doubles with each attempt, up to {@link #MAX_BACKOFF}. */
  static final Duration FIRST_BACKOFF = Duration.ofSeconds(1);

  static final Duration MAX_BACKOFF = Duration.ofMinutes(10);

  private static final Counter DELIVERED =
      Counter.builder("conveyor.webhooks.delivered")
          .description("webhook deliveries this worker made that got a 2xx")
          .register(Metrics.globalRegistry);
  private static final Counter FAILED =
      Counter.builder("conveyor.webhooks.failed.attempts")
          .description("webhook attempts of this worker that got no 2xx (retried or given up)")
          .register(Metrics.globalRegistry);

  private final WebhookOutbox outbox;
  private final ObjectMapper json;
  private final SecretKeySpec key;
  private final Set<String> allowedHosts;
  private final Duration timeout;
  private final int maxAttempts;
  private final HttpClient http;
  // settling waits on Redis: on virtual threads, not on the common pool
  private final ExecutorService settling = Executors.newVirtualThreadPerTaskExecutor();
  private final Thread thread;
  private volatile boolean running;

  /**
   * @param secret NOTIFY_SECRET, the signing key
   * @param allowedHosts NOTIFY_ALLOWED_HOSTS, checked again before each send
   * @param timeout NOTIFY_TIMEOUT, for connecting and for the answer
   * @param maxAttempts NOTIFY_MAX_ATTEMPTS
   */
  WebhookSender(
      WebhookOutbox outbox,
      ObjectMapper json,
      String secret,
      Set<String> allowedHosts,
      Duration timeout,
      int maxAttempts) {
    this.outbox = outbox;
    this.json = json;
    this.key = new SecretKeySpec(secret.getBytes(StandardCharsets.UTF_8), "HmacSHA256");
    this.allowedHosts = allowedHosts;
    this.timeout = timeout;
    this.maxAttempts = maxAttempts;
    this.http =
        HttpClient.newBuilder()
            .followRedirects(HttpClient.Redirect.NEVER)
            .connectTimeout(timeout)
            .executor(settling)
            .build();
    this.thread = Thread.ofVirtual().name("webhook-sender").unstarted(this::run);
  }

  void start() {
    running = true;
    thread.start();
  }

  void stop() {
    running = false;
    thread.interrupt();
    try {
      thread.join(timeout.toMillis() + 1_000);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
    http.shutdownNow();
    settling.shutdownNow();
  }

  private void run() {
    // a lease outlasts a whole batch's sends, so no other sender takes one while it is sent
    Duration lease = timeout.multipliedBy(2).plusSeconds(10);
    while (running) {
      List<WebhookOutbox.Delivery> due;
      try {
        due = outbox.take(lease, BATCH).await().indefinitely();
      } catch (StorageUnavailableException e) {
        due = List.of(); // Redis is away: the deliveries wait there
      } catch (RuntimeException e) {
        if (!running) {
          return; // a stop's interrupt
        }
        LOG.errorf(e, "taking webhook deliveries failed; trying again");
        due = List.of();
      }
      if (due.isEmpty()) {
        if (!Sleep.interruptibly(POLL)) {
          return;
        }
        continue;
      }
      List<CompletableFuture<Void>> sends = new ArrayList<>(due.size());
      for (WebhookOutbox.Delivery delivery : due) {
        sends.add(send(delivery));
      }
      try {
        CompletableFuture.allOf(sends.toArray(CompletableFuture[]::new)).join();
      } catch (RuntimeException e) {
        LOG.debugf("a webhook batch ended with an error: %s", e.getMessage());
      }
    }
  }

  private CompletableFuture<Void> send(WebhookOutbox.Delivery delivery) {
    String refused = NotifyUrl.refusal(delivery.url(), allowedHosts).orElse(null);
    if (refused != null) {
      return CompletableFuture.runAsync(() -> settle(delivery, refused, true), settling);
    }
    byte[] body;
    try {
      body = body(delivery);
    } catch (IOException e) {
      return CompletableFuture.runAsync(
          () -> settle(delivery, "the job's view cannot be read: " + e.getMessage(), true),
          settling);
    }
    HttpRequest request =
        HttpRequest.newBuilder(URI.create(delivery.url()))
            .timeout(timeout)
            .header("Content-Type", "application/json")
            .header("User-Agent", "conveyor-webhook")
            .header("X-Conveyor-Signature", "sha256=" + sign(body))
            .header("X-Conveyor-Callback", delivery.id())
            .header("X-Conveyor-Attempt", Integer.toString(delivery.attempts() + 1))
            .POST(HttpRequest.BodyPublishers.ofByteArray(body))
            .build();
    return http.sendAsync(request, HttpResponse.BodyHandlers.discarding())
        .handleAsync(
            (response, failure) -> {
              if (failure != null) {
                settle(delivery, why(failure), false);
              } else if (response.statusCode() / 100 == 2) {
                settle(delivery, null, false);
              } else {
                settle(delivery, "HTTP " + response.statusCode(), false);
              }
              return null;
            },
            settling);
  }

  private static String why(Throwable failure) {
    Throwable cause = failure.getCause() != null ? failure.getCause() : failure;
    String message = cause.getMessage();
    return cause.getClass().getSimpleName() + (message == null ? "" : ": " + message);
  }

  /** The job's view as GET showed it when it became final: the bytes that are signed and sent. */
  byte[] body(WebhookOutbox.Delivery delivery) throws IOException {
    Map<String, String> stored =
        json.readValue(delivery.fieldsJson(), new TypeReference<Map<String, String>>() {});
    Map<String, String> fields = new LinkedHashMap<>();
    for (String name : JobRecord.READABLE_FIELDS) {
      String value = stored.get(name);
      if (value != null && !name.equals("status")) {
        fields.put(name, value);
      }
    }
    JobRecord job = new JobRecord(delivery.id(), JobStatus.fromWire(stored.get("status")), fields);
    Map<String, Object> view =
        JobView.of(
            job,
            text -> {
              try {
                return json.readTree(text);
              } catch (IOException e) {
                throw new IllegalArgumentException(e);
              }
            },
            null);
    return json.writeValueAsBytes(view);
  }

  String sign(byte[] body) {
    try {
      Mac mac = Mac.getInstance("HmacSHA256");
      mac.init(key);
      return HexFormat.of().formatHex(mac.doFinal(body));
    } catch (GeneralSecurityException e) {
      throw new IllegalStateException("HmacSHA256 is part of every JDK", e);
    }
  }

  /** Records what a send came to: delivered (error null), retried, or given up. */
  private void settle(WebhookOutbox.Delivery delivery, String error, boolean never) {
    try {
      if (error == null) {
        outbox.delivered(delivery).await().indefinitely();
        DELIVERED.increment();
        return;
      }
      FAILED.increment();
      int attempts = delivery.attempts() + 1;
      if (never || attempts >= maxAttempts) {
        outbox.giveUp(delivery, error).await().indefinitely();
        LOG.warnf(
            "webhook for job %s to %s given up after %d attempt(s): %s",
            delivery.id(), delivery.url(), attempts, error);
      } else {
        outbox.retry(delivery, backoff(attempts), error).await().indefinitely();
        LOG.infof(
            "webhook for job %s to %s failed (attempt %d of %d): %s",
            delivery.id(), delivery.url(), attempts, maxAttempts, error);
      }
    } catch (StorageUnavailableException e) {
      // unsettled: its lease runs out and it is sent again (at least once)
      LOG.debugf("webhook for job %s not settled, Redis away: %s", delivery.id(), e.getMessage());
    }
  }

  static Duration backoff(int attempts) {
    Duration wait = FIRST_BACKOFF.multipliedBy(1L << Math.min(attempts - 1, 20));
    return wait.compareTo(MAX_BACKOFF) > 0 ? MAX_BACKOFF : wait;
  }
}
