package dev.conveyor.system;

import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * A client that POSTs new jobs to an api at a steady rate (one every 5 ms after the answer, about
 * 150 a second) until stopped, the way the failover tests load the system: every answer with its
 * time, status (-1: no answer) and duration, and the callbacks answered 200.
 */
final class SteadyClient {

  private static final ObjectMapper JSON = new ObjectMapper();

  record Answer(Instant at, int status, long ms, String callback) {}

  private final List<Answer> answers = new CopyOnWriteArrayList<>();
  private final Set<String> acknowledged = ConcurrentHashMap.newKeySet();
  private final AtomicBoolean running = new AtomicBoolean(true);
  private final Thread thread;

  private SteadyClient(Service api, String data) {
    thread = Thread.ofPlatform().start(() -> run(api, data));
  }

  /** Starts posting {@code "<data> <n>"} for n = 0, 1, … */
  static SteadyClient start(Service api, String data) {
    return new SteadyClient(api, data);
  }

  private void run(Service api, String data) {
    int n = 0;
    while (running.get()) {
      Instant at = Instant.now();
      long t0 = System.nanoTime();
      int status = -1;
      String callback = null;
      try {
        HttpResponse<String> r =
            api.post("/api/v1/work", "{\"data\":\"" + data + " " + n++ + "\"}");
        status = r.statusCode();
        if (status == 200) {
          callback = JSON.readTree(r.body()).get("callback").asText();
          acknowledged.add(callback);
        }
      } catch (IOException e) {
        // no answer: counted as -1
      }
      answers.add(new Answer(at, status, (System.nanoTime() - t0) / 1_000_000, callback));
      try {
        Thread.sleep(5);
      } catch (InterruptedException e) {
        return;
      }
    }
  }

  /** Stops posting; returns once the last request is answered. */
  void stop() throws InterruptedException {
    running.set(false);
    thread.join();
  }

  List<Answer> answers() {
    return List.copyOf(answers);
  }

  Set<String> acknowledged() {
    return Set.copyOf(acknowledged);
  }

  /** How many answers of each status ("200", "503", "-1", …). */
  Map<String, Integer> statuses() {
    Map<String, Integer> statuses = new TreeMap<>();
    answers.forEach(a -> statuses.merge(Integer.toString(a.status()), 1, Integer::sum));
    return statuses;
  }

  long slowestMs() {
    return answers.stream().mapToLong(Answer::ms).max().orElse(0);
  }

  /**
   * When, after {@code fault}, the first refused request was; the fault itself when none was
   * refused after it.
   */
  Instant firstRefusalAfter(Instant fault) {
    return answers.stream()
        .filter(a -> a.status() != 200 && a.at().isAfter(fault))
        .map(Answer::at)
        .findFirst()
        .orElse(fault);
  }

  /** From {@code fault} to the first 200 after the refusals it caused; empty when no 200 came. */
  java.util.Optional<Duration> recoveredAfter(Instant fault) {
    Instant refused = firstRefusalAfter(fault);
    return answers.stream()
        .filter(a -> a.status() == 200 && a.at().isAfter(refused))
        .map(a -> Duration.between(fault, a.at()))
        .findFirst();
  }
}
