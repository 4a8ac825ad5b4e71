package dev.conveyor.api;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.conveyor.core.CallbackId;
import dev.conveyor.core.JobQueue;
import dev.conveyor.core.JobRecord;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import io.smallrye.mutiny.Uni;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Named;
import java.io.IOException;
import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

/**
 * The API's two jobs: accept work (validate, then submit to the queue) and tell a job's status.
 * Validation happens before any Redis call.
 */
@ApplicationScoped
public class WorkService {

  /** Stored fields that are epoch milliseconds, shown as ISO-8601 instants. */
  private static final Set<String> TIMESTAMPS =
      Set.of("accepted_at", "started_at", "finished_at", "retry_at", "failed_at");

  private static final Set<String> COUNTS = Set.of("attempts", "recoveries");

  private final JobQueue queue;
  private final Submitter submitter;
  private final String nodeName;
  private final ObjectMapper json;
  private final Counter accepted;
  private final Counter deduplicated;

  public WorkService(
      JobQueue queue,
      Submitter submitter,
      @Named("nodeName") String nodeName,
      ObjectMapper json,
      MeterRegistry metrics) {
    this.queue = queue;
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

  /** What POST answers: the seed's four fields, in the seed's order. */
  public record Accepted(String accepted_by, String callback, String data, String status) {}

  public Uni<Accepted> accept(byte[] body) {
    String data = WorkRequestParser.data(body);
    String id = CallbackId.of(data);
    return submitter
        .submit(id, data)
        .invoke(ErrorMappers::storageAnswered)
        .invoke(s -> (s.queued() ? accepted : deduplicated).increment())
        .map(s -> new Accepted(nodeName, id, data, "accepted"));
  }

  /** The job's public view, or empty when Redis has no such job (unknown, or expired). */
  public Uni<Optional<Map<String, Object>>> status(String id) {
    return queue.find(id).invoke(ErrorMappers::storageAnswered).map(found -> found.map(this::view));
  }

  private Map<String, Object> view(JobRecord job) {
    Map<String, Object> view = new LinkedHashMap<>();
    view.put("status", job.status().wire());
    view.put("callback", job.id());
    job.fields().forEach((name, value) -> view.put(name, render(name, value)));
    return view;
  }

  private Object render(String name, String value) {
    if (TIMESTAMPS.contains(name)) {
      return Instant.ofEpochMilli(Long.parseLong(value)).toString();
    }
    if (COUNTS.contains(name)) {
      return Integer.parseInt(value);
    }
    if (name.equals("result")) {
      try {
        JsonNode result = json.readTree(value);
        return result;
      } catch (IOException e) {
        return value; // a handler's result is JSON; should one not be, show it as text
      }
    }
    return value;
  }
}
