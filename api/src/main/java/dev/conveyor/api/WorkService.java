package dev.conveyor.api;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.conveyor.core.CallbackId;
import dev.conveyor.core.JobQueue;
import dev.conveyor.core.JobRecord;
import dev.conveyor.core.JobSpec;
import dev.conveyor.core.JobStatus;
import dev.conveyor.core.JobView;
import dev.conveyor.core.Ledger;
import dev.conveyor.core.NotifyUrl;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import io.smallrye.mutiny.Uni;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Named;
import java.io.IOException;
import java.time.Duration;
import java.time.Instant;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

/**
 * The API's two jobs: accept work (validate, then submit to the queue) and tell a job's status.
 * Validation happens before any Redis call.
 */
@ApplicationScoped
public class WorkService {

  /** How long the api trusts its last look at which types the workers serve. */
  static final Duration SERVED_TYPES_FRESH = Duration.ofSeconds(1);

  private final JobQueue queue;
  private final Ledger ledger;
  private final SubmitLanes submitter;
  private volatile ServedTypes served = new ServedTypes(Set.of(), 0);
  private final String nodeName;
  private final ObjectMapper json;
  private final Counter accepted;
  private final Counter deduplicated;
  private final CancelTokens tokens;
  private final Duration cancelledTtl;
  private final Set<String> notifyHosts;
  private final StorageGate gate;

  public WorkService(
      JobQueue queue,
      Ledger ledger,
      SubmitLanes submitter,
      @Named("nodeName") String nodeName,
      ObjectMapper json,
      MeterRegistry metrics,
      CancelTokens tokens,
      ApiConfig config,
      StorageGate gate) {
    this.queue = queue;
    this.gate = gate;
    this.tokens = tokens;
    this.cancelledTtl = config.resultTtl();
    this.notifyHosts = NotifyUrl.allowedHosts(config.notifyAllowedHosts().orElse(""));
    this.ledger = ledger;
    this.submitter = submitter;
    this.nodeName = nodeName;
    this.json = json;
    this.accepted =
        Counter.builder("conveyor.jobs.accepted")
            .description("jobs this api queued")
            .register(metrics);
    this.deduplicated =
        Counter.builder("conveyor.jobs.deduplicated")
            .description("POSTs of data already pending, working or worked: not queued twice")
            .register(metrics);
  }

  /**
   * What POST answers: the seed's four fields, in the seed's order, then what the request gave of
   * {@code type}, {@code priority}, {@code delay}, {@code run_at} and {@code notify_url} (absent
   * ones are left out, so the seed's request gets the seed's answer and its fields in their order),
   * then {@code cancel_token}, the capability to cancel the job ({@link CancelTokens}).
   */
  @JsonInclude(JsonInclude.Include.NON_NULL)
  public record Accepted(
      String accepted_by,
      String callback,
      String data,
      String status,
      String type,
      String priority,
      String delay,
      String run_at,
      String notify_url,
      String cancel_token) {}

  public Uni<Accepted> accept(byte[] body) {
    WorkRequestParser.WorkRequest request =
        WorkRequestParser.parse(body, Instant.now(), notifyHosts);
    String data = request.data();
    JobSpec spec = request.spec();
    String id = CallbackId.of(spec.type(), data);
    JobQueue.Work work = new JobQueue.Work(id, data, spec);
    // the token's secret is read from Redis once, when CANCEL_SECRET is not set
    Uni<JobQueue.Submission> submitted =
        gate.through(
            id,
            () ->
                tokens.isReady()
                    ? submitter.submit(work)
                    : tokens.ready().flatMap(ready -> submitter.submit(work)));
    return submitted
        .invoke(s -> (s.queued() ? accepted : deduplicated).increment())
        .map(
            s ->
                new Accepted(
                    s.acceptedBy(),
                    id,
                    data,
                    "accepted",
                    spec.type(),
                    spec.priority(),
                    request.delay(),
                    request.runAt(),
                    spec.notifyUrl(),
                    tokens.sign(id)));
  }

  /** What a DELETE came to: the HTTP status and the job's view after it (empty: no such job). */
  public record Cancelled(int httpStatus, Optional<Map<String, Object>> view) {}

  /**
   * Cancels job {@code id} (its token already checked): 202 when cancelled now (a running job's
   * worker is told and interrupts it), 200 when it was cancelled already, 409 when it is worked or
   * failed, 404 when there is no such job. The view is read after the cancel.
   */
  public Uni<Cancelled> cancel(String id) {
    return gate.through(id, () -> queue.cancel(id, cancelledTtl))
        .flatMap(
            done -> {
              if (done.before().isEmpty()) {
                return Uni.createFrom().item(new Cancelled(404, Optional.empty()));
              }
              JobStatus before = done.before().get();
              int status = done.cancelledNow() ? 202 : before == JobStatus.CANCELLED ? 200 : 409;
              return status(id).map(view -> new Cancelled(view.isEmpty() ? 404 : status, view));
            });
  }

  /**
   * True when {@code token} is job {@code id}'s cancel token (reads the secret once if need be).
   */
  public Uni<Boolean> mayCancel(String id, String token) {
    return tokens.ready().map(ready -> tokens.verify(id, token));
  }

  /** The job's public view, or empty when Redis has no such job (unknown, or expired). */
  public Uni<Optional<Map<String, Object>>> status(String id) {
    return gate.through(id, () -> queue.find(id))
        .flatMap(
            found -> {
              if (found.isEmpty()) {
                return Uni.createFrom().item(Optional.<Map<String, Object>>empty());
              }
              JobRecord job = found.get();
              Optional<String> type = job.field("type");
              if (job.status() != JobStatus.PENDING
                  || type.isEmpty()
                  || type.get().equals(JobSpec.DEFAULT_TYPE)) {
                return Uni.createFrom().item(Optional.of(view(job, null)));
              }
              return servedTypes()
                  .map(
                      served ->
                          Optional.of(
                              view(
                                  job,
                                  served.contains(type.get())
                                      ? null
                                      : "waiting for a worker of type "
                                          + type.get()
                                          + ": no running worker serves it")));
            });
  }

  /** The types the live workers serve, as seen at most {@link #SERVED_TYPES_FRESH} ago. */
  private Uni<Set<String>> servedTypes() {
    ServedTypes known = served;
    if (System.nanoTime() - known.readAt() < SERVED_TYPES_FRESH.toNanos() && known.readAt() != 0) {
      return Uni.createFrom().item(known.types());
    }
    return ledger.servedTypes().invoke(types -> served = new ServedTypes(types, System.nanoTime()));
  }

  private record ServedTypes(Set<String> types, long readAt) {}

  private Map<String, Object> view(JobRecord job, String note) {
    return JobView.of(job, this::parseJson, note);
  }

  private Object parseJson(String text) {
    try {
      return json.readTree(text);
    } catch (IOException e) {
      throw new IllegalArgumentException(e);
    }
  }
}
