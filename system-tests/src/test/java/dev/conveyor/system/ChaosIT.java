package dev.conveyor.system;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.ObjectMapper;
import dev.conveyor.testkit.RedisServer;
import dev.conveyor.testkit.RedisServers;
import io.vertx.mutiny.core.Vertx;
import io.vertx.mutiny.redis.client.Command;
import io.vertx.mutiny.redis.client.Redis;
import io.vertx.mutiny.redis.client.Request;
import io.vertx.mutiny.redis.client.Response;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.atomic.AtomicBoolean;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.Test;

/**
 * The chaos run: the real topology as processes (redis-server, haproxy, 2 api, 3 workers), jobs
 * submitted through HAProxy at a steady rate while a random worker is killed with SIGKILL every few
 * seconds (and started again), one api is restarted with SIGTERM (rolling) and Redis is killed and
 * started again once. The jobs mix types (the demo's and checksum) and priorities; clients wait for
 * every tenth job with {@code ?wait=} and cancel every twenty-fifth. Then every accepted job must
 * be worked exactly once as far as the store is concerned, or cancelled (and then never worked),
 * and every wait must have been answered. Sized by {@code chaos.jobs}, {@code chaos.rate} (jobs/s)
 * and {@code chaos.kill-every}; {@code bench/chaos.sh} runs it big.
 */
class ChaosIT {

  private static final ObjectMapper JSON = new ObjectMapper();
  private static final int WORKERS = 3;
  private static final int CONCURRENCY = 3;

  private final int jobs = Integer.getInteger("chaos.jobs", 300);
  private final double rate = Double.parseDouble(System.getProperty("chaos.rate", "12"));
  private final Duration killEvery =
      Duration.parse("PT" + System.getProperty("chaos.kill-every", "6s").toUpperCase());

  /** Non-200 answers the client saw, with when. */
  private record Refusal(Instant at, int status, String body) {}

  /** A wait's answer: its status code and the job's status in it (null when none), and when. */
  private record Waited(Instant at, int code, String status) {}

  private static final java.net.http.HttpClient WAITS =
      java.net.http.HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(2)).build();

  private final List<java.util.concurrent.CompletableFuture<Waited>> waits =
      new CopyOnWriteArrayList<>();
  private final Set<String> cancelled = ConcurrentHashMap.newKeySet();
  private final Set<String> tooLateToCancel = ConcurrentHashMap.newKeySet();

  @Test
  void nothingAcceptedIsLostAndNothingIsRecordedTwiceUnderKillsRestartsAndARedisRestart()
      throws Exception {
    String run = Long.toHexString(System.nanoTime());
    List<Service> workers = new CopyOnWriteArrayList<>();
    List<Service> apis = new ArrayList<>();
    Vertx vertx = Vertx.vertx();
    try (RedisServer redis = RedisServers.start()) {
      for (int i = 1; i <= 2; i++) {
        apis.add(
            Service.start(
                "api",
                RedisServers.freePort(),
                Map.of(
                    "REDIS_URL",
                    redis.url(),
                    "NODE_NAME",
                    "api-" + i + "@chaos",
                    "RESULT_TTL",
                    "30m")));
      }
      try (Haproxy lb =
          Haproxy.start(RedisServers.freePort(), apis.stream().map(Service::port).toList())) {
        for (int i = 1; i <= WORKERS; i++) {
          workers.add(startWorker(redis, i));
        }

        // the client: steady rate, retries what it is refused (POST is idempotent here)
        Set<String> accepted = ConcurrentHashMap.newKeySet();
        List<Refusal> refusals = new CopyOnWriteArrayList<>();
        AtomicBoolean submitting = new AtomicBoolean(true);
        Thread client =
            Thread.ofPlatform()
                .name("chaos-client")
                .start(() -> submit(run, Endpoint.at(lb.port()), accepted, refusals, submitting));

        // the chaos, until the client is done
        Duration submitTime = Duration.ofMillis((long) (jobs / rate * 1000));
        Instant start = Instant.now();
        Instant apiRestartAt = start.plus(submitTime.multipliedBy(1).dividedBy(4));
        Instant redisRestartAt = start.plus(submitTime.dividedBy(2));
        Instant nextKill = start.plus(killEvery);
        Instant redisDownFrom = null;
        Instant redisUpAt = null;
        Instant apiRestartFrom = null;
        Instant apiRestartUntil = null;
        int kills = 0;
        // the jobs each killed worker held: each may run once more, and nothing else may
        long heldAtKills = 0;
        Redis probe =
            Redis.createClient(
                vertx, new io.vertx.redis.client.RedisOptions().setConnectionString(redis.url()));
        while (submitting.get()) {
          Instant now = Instant.now();
          if (apiRestartFrom == null && now.isAfter(apiRestartAt)) {
            apiRestartFrom = Instant.now();
            Service old = apis.getFirst();
            assertEquals(0, old.terminate(Duration.ofSeconds(20)), "api-1 drains and exits 0");
            apis.set(
                0,
                Service.start(
                    "api",
                    old.port(),
                    Map.of(
                        "REDIS_URL",
                        redis.url(),
                        "NODE_NAME",
                        "api-1@chaos",
                        "RESULT_TTL",
                        "30m")));
            apiRestartUntil = Instant.now();
          }
          if (redisDownFrom == null && now.isAfter(redisRestartAt)) {
            redisDownFrom = Instant.now();
            redis.kill();
            Thread.sleep(Duration.ofSeconds(1));
            redis.restart();
            redisUpAt = Instant.now();
          }
          if (now.isAfter(nextKill)) {
            int victim = ThreadLocalRandom.current().nextInt(WORKERS);
            workers.get(victim).kill();
            kills++;
            heldAtKills += held(probe, "w" + (victim + 1) + "@chaos");
            workers.set(victim, startWorker(redis, victim + 1));
            nextKill = Instant.now().plus(killEvery);
          }
          Thread.sleep(Duration.ofMillis(50));
        }
        client.join();

        // every accepted job ends worked (or, were any injected, failed)
        Redis reader =
            Redis.createClient(
                vertx, new io.vertx.redis.client.RedisOptions().setConnectionString(redis.url()));
        List<String> ids = List.copyOf(accepted);
        Awaitility.await("every accepted job finished")
            .atMost(Duration.ofSeconds(120))
            .pollInterval(Duration.ofMillis(500))
            .until(
                () ->
                    count(reader, ids, "worked")
                            + count(reader, ids, "failed")
                            + count(reader, ids, "cancelled")
                        == ids.size());
        long worked = count(reader, ids, "worked");
        long failed = count(reader, ids, "failed");
        long cancelledJobs = count(reader, ids, "cancelled");
        List<String> cancelledIds = List.copyOf(cancelled);
        long cancelledAsAsked = count(reader, cancelledIds, "cancelled");
        // every wait answered: none hangs past its 30 s and HAProxy's timeout
        List<Waited> answers = new ArrayList<>();
        for (var wait : waits) {
          answers.add(wait.get(60, java.util.concurrent.TimeUnit.SECONDS));
        }
        long extraExecutions = extraExecutions(reader, ids);
        long recordedWorked =
            reader
                .send(Request.cmd(Command.HGET).arg("conveyor:stats").arg("worked"))
                .await()
                .atMost(Duration.ofSeconds(5))
                .toLong();
        Instant redisQuietAt = redisUpAt == null ? null : redisUpAt.plusSeconds(5);
        Instant redisDown = redisDownFrom;
        List<Refusal> outsideRedisOutage =
            refusals.stream()
                .filter(
                    r ->
                        redisDown == null
                            || r.at().isBefore(redisDown)
                            || r.at().isAfter(redisQuietAt))
                .toList();
        Instant restartFrom = apiRestartFrom;
        Instant restartUntil = apiRestartUntil.plusSeconds(5);
        long duringApiRestart =
            outsideRedisOutage.stream()
                .filter(r -> r.at().isAfter(restartFrom) && r.at().isBefore(restartUntil))
                .count();
        long crashed =
            apis.stream().filter(a -> !a.alive()).count()
                + workers.stream().filter(w -> !w.alive()).count()
                + (lb.alive() ? 0 : 1)
                + (redis.isRunning() ? 0 : 1);
        List<Waited> waitErrors =
            answers.stream()
                .filter(
                    w ->
                        w.code() != 200
                            && (redisDown == null
                                || w.at().isBefore(redisDown)
                                || w.at().isAfter(redisQuietAt)))
                .toList();
        System.out.printf(
            "chaos: waits %d (answered final %d, 503 in the Redis outage %d, errors outside it %s);"
                + " cancels asked %d (cancelled %d, too late %d)%n",
            answers.size(),
            answers.stream()
                .filter(
                    w ->
                        w.status() != null
                            && !w.status().equals("pending")
                            && !w.status().equals("working"))
                .count(),
            answers.stream().filter(w -> w.code() == 503).count() - waitErrors.size(),
            waitErrors,
            cancelled.size() + tooLateToCancel.size(),
            cancelledJobs,
            tooLateToCancel.size());
        System.out.printf(
            "chaos: %d jobs at %.0f/s; accepted %d, worked %d, failed %d, lost %d; worker kills %d"
                + " (holding %d jobs),"
                + " handler executions beyond one per job %d, completions recorded twice %d;"
                + " refusals %d %s (%d outside the Redis restart, %d of them during the api restart);"
                + " crashed processes %d%n",
            jobs,
            rate,
            ids.size(),
            worked,
            failed,
            ids.size() - worked - failed - cancelledJobs,
            kills,
            heldAtKills,
            extraExecutions,
            recordedWorked - worked,
            refusals.size(),
            refusals.stream().map(Refusal::status).distinct().toList(),
            outsideRedisOutage.size(),
            duringApiRestart,
            crashed);
        reader.close();
        probe.close();

        assertEquals(jobs, ids.size(), "the client got every job accepted in the end");
        assertEquals(0, failed, "nothing was injected to fail");
        assertEquals(jobs, worked + cancelledJobs, "lost");
        assertEquals(
            cancelled.size(), cancelledAsAsked, "a job cancelled (202) was worked after all");
        assertEquals(cancelledJobs, cancelledAsAsked, "cancelled jobs nobody cancelled");
        assertEquals(
            List.of(), waitErrors, "waits answered with an error outside the Redis outage");
        assertEquals(worked, recordedWorked, "completions recorded twice");
        assertTrue(
            extraExecutions <= heldAtKills,
            extraExecutions
                + " re-executions for "
                + kills
                + " kills of workers holding "
                + heldAtKills
                + " jobs");
        assertEquals(List.of(), outsideRedisOutage, "refusals outside the Redis restart");
        assertEquals(0, duringApiRestart, "client-visible errors during the api restart");
        assertEquals(0, crashed, "crashed processes");
      }
    } finally {
      workers.forEach(Service::close);
      apis.forEach(Service::close);
      vertx.closeAndAwait();
    }
  }

  /**
   * How many jobs a just-killed worker held: its processing list, which nothing changes until the
   * janitor recovers it after a missed beat. While Redis itself is restarting, the most it can
   * hold.
   */
  private static long held(Redis redis, String node) {
    try {
      return redis
          .send(Request.cmd(Command.LLEN).arg("conveyor:processing:" + node))
          .await()
          .atMost(Duration.ofSeconds(1))
          .toLong();
    } catch (RuntimeException e) {
      return 2L * CONCURRENCY;
    }
  }

  private static Service startWorker(RedisServer redis, int n) throws java.io.IOException {
    return Service.start(
        "worker",
        RedisServers.freePort(),
        Map.of(
            "REDIS_URL",
            redis.url(),
            "NODE_NAME",
            "w" + n + "@chaos",
            "WORK_DURATION",
            "200ms",
            // several jobs per claim and per completion call, so kills hit batches
            "WORKER_CONCURRENCY",
            Integer.toString(CONCURRENCY),
            "RESULT_TTL",
            "30m",
            // kills may hit one job repeatedly in a long run; no poison pill verdicts here
            "MAX_RECOVERIES",
            "50"));
  }

  private void submit(
      String run,
      Endpoint lb,
      Set<String> accepted,
      List<Refusal> refusals,
      AtomicBoolean submitting) {
    long intervalNanos = (long) (1_000_000_000L / rate);
    long next = System.nanoTime();
    try {
      for (int i = 0; i < jobs; i++) {
        String body = body(run, i);
        while (true) {
          try {
            HttpResponse<String> response = lb.post("/api/v1/work", body);
            if (response.statusCode() == 200) {
              var answer = JSON.readTree(response.body());
              String id = answer.get("callback").asText();
              accepted.add(id);
              if (i % 10 == 0) {
                waits.add(waitFor(lb, id));
              }
              if (i % 25 == 7) {
                cancel(lb, id, answer.get("cancel_token").asText());
              }
              break;
            }
            refusals.add(new Refusal(Instant.now(), response.statusCode(), response.body()));
          } catch (java.io.IOException e) {
            refusals.add(new Refusal(Instant.now(), -1, e.toString()));
          }
          Thread.sleep(Duration.ofMillis(200));
        }
        next += intervalNanos;
        long wait = next - System.nanoTime();
        if (wait > 0) {
          Thread.sleep(Duration.ofNanos(wait));
        }
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    } finally {
      submitting.set(false);
    }
  }

  /** GET ?wait=30s through HAProxy, in the background: its answer when it comes. */
  private static java.util.concurrent.CompletableFuture<Waited> waitFor(Endpoint lb, String id) {
    var request =
        java.net.http.HttpRequest.newBuilder(
                java.net.URI.create(
                    "http://127.0.0.1:" + lb.port() + "/api/v1/work/" + id + "?wait=30s"))
            .timeout(Duration.ofSeconds(50))
            .build();
    return WAITS
        .sendAsync(request, java.net.http.HttpResponse.BodyHandlers.ofString())
        .handle(
            (response, failure) -> {
              if (failure != null) {
                return new Waited(Instant.now(), -1, failure.toString());
              }
              String status = null;
              try {
                status = JSON.readTree(response.body()).path("status").asText(null);
              } catch (java.io.IOException e) {
                // not JSON: the status code tells
              }
              return new Waited(Instant.now(), response.statusCode(), status);
            });
  }

  /** DELETE with the job's cancel token, until answered: cancelled now (202) or too late (409). */
  private void cancel(Endpoint lb, String id, String token) throws InterruptedException {
    var request =
        java.net.http.HttpRequest.newBuilder(
                java.net.URI.create("http://127.0.0.1:" + lb.port() + "/api/v1/work/" + id))
            .header("Authorization", "Bearer " + token)
            .timeout(Duration.ofSeconds(10))
            .DELETE()
            .build();
    for (int tries = 0; tries < 50; tries++) {
      try {
        int code =
            WAITS.send(request, java.net.http.HttpResponse.BodyHandlers.discarding()).statusCode();
        if (code == 202 || code == 200) {
          cancelled.add(id);
          return;
        }
        if (code == 409) {
          tooLateToCancel.add(id);
          return;
        }
      } catch (java.io.IOException e) {
        // asked again below: a cancel is safe to repeat
      }
      Thread.sleep(Duration.ofMillis(200));
    }
    throw new IllegalStateException("job " + id + " could not be cancelled in 50 tries");
  }

  /**
   * The i-th job: a mix of the seed's request, the checksum type and the default type at each
   * priority, so kills and restarts hit every queue.
   */
  private static String body(String run, int i) {
    String data = "\"data\":\"chaos " + run + " " + i + "\"";
    String priority = List.of("high", "normal", "low").get((i / 3) % 3);
    return switch (i % 3) {
      case 0 -> "{" + data + "}";
      case 1 -> "{" + data + ",\"type\":\"checksum\",\"priority\":\"" + priority + "\"}";
      default -> "{" + data + ",\"priority\":\"" + priority + "\"}";
    };
  }

  private static long count(Redis reader, List<String> ids, String status) {
    long n = 0;
    for (Response r : fields(reader, ids, "status")) {
      if (r != null && status.equals(r.toString())) {
        n++;
      }
    }
    return n;
  }

  private static long extraExecutions(Redis reader, List<String> ids) {
    long extra = 0;
    for (Response r : fields(reader, ids, "attempts")) {
      if (r != null) {
        extra += Math.max(0, r.toLong() - 1);
      }
    }
    return extra;
  }

  /** One field of every job, read in pipelined batches of at most 500 commands. */
  private static List<Response> fields(Redis reader, List<String> ids, String field) {
    List<Response> values = new ArrayList<>();
    for (int from = 0; from < ids.size(); from += 500) {
      List<Request> reads = new ArrayList<>();
      for (String id : ids.subList(from, Math.min(ids.size(), from + 500))) {
        reads.add(Request.cmd(Command.HGET).arg("conveyor:job:" + id).arg(field));
      }
      values.addAll(reader.batch(reads).await().atMost(Duration.ofSeconds(10)));
    }
    return values;
  }
}
