package dev.conveyor.system;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.conveyor.testkit.RawHttp;
import dev.conveyor.testkit.RedisServers;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;

/**
 * The committed docker-compose.yml end to end, in a real Docker engine: built from the Dockerfile,
 * 2 apis and 3 workers behind HAProxy, and then what an operator does to it — the seed's
 * walk-through through the balancer, scaling, a killed worker, a rolling restart of the apis, a
 * Redis stop, and {@code down -v}. scripts/compose-test.sh (and scripts/test.sh) provide the
 * engine; where none answers the class is skipped, except in CI ({@code CI=true}) or with {@code
 * CONVEYOR_COMPOSE_REQUIRED=1}, where that is a failure. The steps share one stack, in order.
 */
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class ComposeIT {

  private static final ObjectMapper JSON = new ObjectMapper();
  private static final String PROJECT = "conveyor-it";
  private static final Duration RESULT_TTL = Duration.ofSeconds(4);

  private static Compose compose;
  private static Endpoint lb;
  private static int statsPort;
  private static int sysmonPort;

  @BeforeAll
  static void up() {
    int lbPort = RedisServers.freePort();
    statsPort = RedisServers.freePort();
    sysmonPort = RedisServers.freePort();
    compose =
        Compose.up(
            PROJECT,
            Map.of(
                "LB_PORT", Integer.toString(lbPort),
                "LB_STATS_PORT", Integer.toString(statsPort),
                "SYSMON_PORT", Integer.toString(sysmonPort),
                "WORK_DURATION", "500ms",
                "RESULT_TTL", RESULT_TTL.toSeconds() + "s"),
            "api=2",
            "worker=3");
    lb = Endpoint.at(lbPort);
  }

  @AfterAll
  static void down() {
    if (compose != null) {
      compose.down();
    }
  }

  @Test
  @Order(1)
  void everyHealthcheckTurnsHealthyNothingRunsAsRootAndTheJvmsUseTheirArchives() throws Exception {
    Map<String, Integer> expected = Map.of("api", 2, "worker", 3, "lb", 1, "redis", 1, "sysmon", 1);
    List<JsonNode> containers = compose.containers();
    for (var service : expected.entrySet()) {
      List<JsonNode> mine =
          containers.stream()
              .filter(c -> c.path("Service").asText().equals(service.getKey()))
              .toList();
      assertEquals(service.getValue(), mine.size(), service.getKey() + ": " + mine);
      for (JsonNode container : mine) {
        String name = container.path("Name").asText();
        assertEquals("running", container.path("State").asText(), name);
        String health =
            compose.inspect(name, "{{if .State.Health}}{{.State.Health.Status}}{{end}}");
        if (!service.getKey().equals("lb")) { // HAProxy's image has no HEALTHCHECK
          assertEquals("healthy", health, name + " HEALTHCHECK");
        }
        // every process of the container, as the host sees it (Redis' official image starts as
        // root and steps down: what counts is what runs)
        String[] processes =
            compose.docker(30, "top", name, "-eo", "pid,uid,comm").out().split("\n");
        assertTrue(processes.length > 1, name + ": " + String.join("\n", processes));
        for (int i = 1; i < processes.length; i++) {
          assertNotEquals("0", processes[i].trim().split("\\s+")[1], name + ": " + processes[i]);
        }
        if (service.getKey().equals("api") || service.getKey().equals("worker")) {
          // the JVM (the entrypoint, pid 1) maps what its image build's training run wrote (the
          // api's AppCDS archive, the worker's AOT cache) only when it accepted it: one it refused
          // would be ignored without a word
          String file = service.getKey().equals("api") ? "/app/app.jsa" : "/app/app.aot";
          String maps = compose.docker(30, "exec", name, "cat", "/proc/1/maps").out();
          assertTrue(maps.contains(file), name + " starts from its image's " + file);
        }
      }
    }
    // Redis is reached by the services only; the pages are on their published ports
    assertEquals(
        "",
        compose.inspect(
            compose.ids("redis").get(0),
            "{{range $p, $b := .NetworkSettings.Ports}}{{if $b}}{{$p}}{{end}}{{end}}"),
        "redis publishes no port on the host");
    HttpResponse<String> page = Endpoint.at(sysmonPort).get("/");
    assertEquals(200, page.statusCode());
    assertTrue(page.body().contains("<html"), "sysmon's page");
    HttpResponse<String> stats = Endpoint.at(statsPort).get("/stats");
    assertEquals(200, stats.statusCode());
    assertTrue(stats.body().contains("apis"), "HAProxy's stats page lists the apis");
  }

  @Test
  @Order(2)
  void whatTheBalancerCannotParseIsAnsweredJson() throws Exception {
    // HAProxy 3.2 (haproxy:3.2) uses haproxy/errors/ for the requests it refuses while parsing,
    // where 2.6-3.0 sent built-in HTML; and the api's empty 400 for bad percent-encoding never
    // shows: the balancer answers it
    String post = "POST /api/v1/work HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n";
    Map<String, String> requests = new java.util.TreeMap<>();
    requests.put(
        "400 xchunked",
        post + "Content-Length: 14\r\nTransfer-Encoding: xchunked\r\n\r\n{\"data\":\"foo\"}");
    requests.put(
        "400 10,000 headers",
        "GET /api/v1/work/x HTTP/1.1\r\nHost: x\r\n" + "X-H: y\r\n".repeat(10_000) + "\r\n");
    requests.put(
        "400 raw bytes in the path", "GET /api/v1/work/\u00ff\u00fe HTTP/1.1\r\nHost: x\r\n\r\n");
    requests.put(
        "414 100 KB URL",
        "GET /api/v1/work/" + "A".repeat(100_000) + " HTTP/1.1\r\nHost: x\r\n\r\n");
    requests.put(
        "431 a 20 KB header",
        "GET /api/v1/work/x HTTP/1.1\r\nHost: x\r\nX-Big: " + "a".repeat(20_000) + "\r\n\r\n");
    requests.put("408 a head that never ends", "GET /api/v1/work/x HTTP/1.1\r\nHost: x\r\n");
    requests.put(
        "404 bad percent-encoding in an id", "GET /api/v1/work/%zz HTTP/1.1\r\nHost: x\r\n\r\n");
    for (var request : requests.entrySet()) {
      RawHttp answer = RawHttp.exchange(lb.port(), request.getValue(), Duration.ofSeconds(12));
      String what =
          request.getKey() + ": " + answer.status() + " " + answer.headers() + " " + answer.body();
      assertEquals(Integer.parseInt(request.getKey().substring(0, 3)), answer.status(), what);
      assertEquals("application/json", answer.type(), what);
      assertTrue(answer.body().startsWith("{\""), what);
      JSON.readTree(answer.body());
    }
  }

  @Test
  @Order(3)
  void theSeedWalkthroughThroughTheBalancer() throws Exception {
    // with the workers stopped the job waits: pending, as in the seed's README
    compose.compose(120, "stop", "worker");
    HttpResponse<String> accepted = lb.post("/api/v1/work", "{\"data\":\"foo\"}");
    assertEquals(200, accepted.statusCode(), accepted.body());
    JsonNode answer = JSON.readTree(accepted.body());
    assertEquals("ACBD18DB4CC2F85CEDEF654FCCC4A4D8", answer.get("callback").asText());
    assertEquals("accepted", answer.get("status").asText());
    assertEquals("foo", answer.get("data").asText());
    String id = answer.get("callback").asText();
    assertEquals("pending", status(id));
    compose.compose(300, "start", "worker");
    JsonNode working = lb.awaitStatus(id, "working");
    assertTrue(working.path("worker").asText().startsWith("worker-"), working.toString());
    JsonNode worked = lb.awaitStatus(id, "worked");
    assertEquals(3, worked.path("result").path("bytes").asInt(), worked.toString());
    Awaitility.await("404 after RESULT_TTL")
        .atMost(RESULT_TTL.plusSeconds(5))
        .pollInterval(Duration.ofMillis(200))
        .until(() -> lb.get("/api/v1/work/" + id).statusCode() == 404);
    Set<String> apis = new TreeSet<>();
    for (int i = 0; i < 8; i++) {
      apis.add(accept("seed " + i).get("accepted_by").asText());
    }
    assertEquals(2, apis.size(), "both apis behind the balancer: " + apis);
  }

  @Test
  @Order(4)
  void sysmonAndTheShellAgreeWhileTheWorkersScale() throws Exception {
    for (int workers : new int[] {1, 3}) {
      scaleWorkers(workers);
      Set<String> seen = new TreeSet<>();
      Awaitility.await("sysmon lists " + workers + " workers")
          .atMost(Duration.ofSeconds(30))
          .pollInterval(Duration.ofMillis(500))
          .ignoreExceptions()
          .until(
              () -> {
                seen.clear();
                for (JsonNode node :
                    JSON.readTree(Endpoint.at(sysmonPort).get("/api/workers").body())) {
                  if (node.path("role").asText().equals("worker")) {
                    seen.add(node.path("name").asText());
                  }
                }
                return seen.size() == workers;
              });
      String members =
          compose
              .composeWithInput(
                  "members\n", 300, "--profile", "tools", "run", "--build", "--rm", "-T", "shell")
              .out();
      Set<String> inShell = new TreeSet<>();
      for (String line : members.split("\n")) {
        if (line.startsWith("worker-")) {
          inShell.add(line.split("\\s+")[0]);
        }
      }
      assertEquals(seen, inShell, "the shell's members and sysmon's workers:\n" + members);
    }
  }

  @Test
  @Order(5)
  void aKilledWorkerContainersJobIsWorkedElsewhere() throws Exception {
    // a job's work is WORK_DURATION (500 ms): should the kill land after it, try another job
    for (int attempt = 1; ; attempt++) {
      String id = accept("killed worker " + System.nanoTime()).get("callback").asText();
      JsonNode working = lb.awaitStatus(id, "working");
      String node = working.get("worker").asText();
      String container = node.substring(node.indexOf('@') + 1); // its host name is its id
      long killed = System.nanoTime();
      compose.docker(30, "kill", container);
      JsonNode worked = lb.awaitStatus(id, "worked");
      long millis = (System.nanoTime() - killed) / 1_000_000;
      scaleWorkers(3);
      if (worked.path("worked_by").asText().equals(node) && attempt < 3) {
        continue; // it was done before the kill
      }
      assertNotEquals(node, worked.get("worked_by").asText(), worked.toString());
      assertEquals(1, worked.path("recoveries").asInt(), worked.toString());
      System.out.printf(
          "compose: docker kill of %s -> job worked elsewhere in %d ms%n", node, millis);
      assertTrue(millis <= 5_000, "worked elsewhere " + millis + " ms after the kill");
      return;
    }
  }

  @Test
  @Order(6)
  void aRollingRestartOfTheApisCostsNoClientARequest() throws Exception {
    AtomicBoolean running = new AtomicBoolean(true);
    AtomicInteger answered = new AtomicInteger();
    ConcurrentLinkedQueue<String> errors = new ConcurrentLinkedQueue<>();
    Thread client =
        Thread.ofPlatform()
            .start(
                () -> {
                  int i = 0;
                  while (running.get()) {
                    try {
                      // five data values over and over: every POST is answered (a repeat
                      // is deduplicated), without queueing hundreds of jobs for later steps
                      HttpResponse<String> r =
                          lb.post("/api/v1/work", "{\"data\":\"rolling " + i++ % 5 + "\"}");
                      if (r.statusCode() != 200) {
                        errors.add(r.statusCode() + " " + r.body());
                      }
                      answered.incrementAndGet();
                      // the client's own pace (about 50 requests a second), not a wait
                      Thread.sleep(20);
                    } catch (Exception e) {
                      errors.add(e.toString());
                    }
                  }
                });
    try {
      for (String api : compose.ids("api")) {
        compose.docker(60, "stop", api);
        compose.docker(60, "start", api);
        Awaitility.await(api + " healthy and back in HAProxy's rotation")
            .atMost(Duration.ofSeconds(60))
            .pollInterval(Duration.ofMillis(250))
            .ignoreExceptions()
            .until(
                () ->
                    compose.inspect(api, "{{.State.Health.Status}}").equals("healthy")
                        && serversUp() == 2);
      }
    } finally {
      running.set(false);
      client.join();
    }
    System.out.printf(
        "compose: rolling restart of the apis: %d requests, %d errors%n",
        answered.get(), errors.size());
    assertTrue(answered.get() > 50, "the client loop ran: " + answered.get());
    assertEquals(List.of(), new ArrayList<>(errors), "client errors during the rolling restart");
  }

  @Test
  @Order(7)
  @SuppressWarnings("unchecked")
  void aRedisStopAnswers503FastAndLosesNothing() throws Exception {
    // jobs acknowledged while no worker runs stay pending: they must all be there after Redis
    compose.compose(120, "stop", "worker");
    List<String> acknowledged = new ArrayList<>();
    for (int i = 0; i < 20; i++) {
      acknowledged.add(accept("kept " + i + " " + System.nanoTime()).get("callback").asText());
    }
    compose.compose(120, "stop", "redis");
    long start = System.nanoTime();
    HttpResponse<String> refused = lb.post("/api/v1/work", "{\"data\":\"while redis is down\"}");
    long millis = (System.nanoTime() - start) / 1_000_000;
    assertEquals(503, refused.statusCode(), refused.body());
    assertTrue(
        refused.headers().firstValue("Retry-After").isPresent(),
        refused.headers().map().toString());
    assertTrue(refused.body().startsWith("{"), "JSON: " + refused.body());
    System.out.printf("compose: redis stopped -> 503 through the lb in %d ms%n", millis);
    assertTrue(millis <= 1_000, "503 in " + millis + " ms");
    compose.compose(120, "start", "redis");
    Awaitility.await("the apis accept again")
        .atMost(Duration.ofSeconds(60))
        .pollInterval(Duration.ofMillis(250))
        .ignoreExceptions()
        .until(() -> lb.post("/api/v1/work", "{\"data\":\"redis is back\"}").statusCode() == 200);
    for (String id : acknowledged) {
      // each api finds Redis back by itself (its probe): until then it answers 503, not 404
      HttpResponse<String>[] read = new HttpResponse[1];
      Awaitility.await(id + " readable")
          .atMost(Duration.ofSeconds(30))
          .pollInterval(Duration.ofMillis(100))
          .until(() -> (read[0] = lb.get("/api/v1/work/" + id)).statusCode() != 503);
      assertEquals(200, read[0].statusCode(), id + " after the Redis restart: " + read[0].body());
      assertEquals("pending", JSON.readTree(read[0].body()).path("status").asText(), id);
    }
    compose.compose(300, "start", "worker");
    // a result is readable for RESULT_TTL: each job counts once it has been seen worked
    Set<String> worked = new TreeSet<>();
    Awaitility.await("every acknowledged job worked")
        .atMost(Duration.ofSeconds(90))
        .pollInterval(Duration.ofMillis(200))
        .until(
            () -> {
              for (String id : acknowledged) {
                if (!worked.contains(id) && status(id).equals("worked")) {
                  worked.add(id);
                }
              }
              return worked.size() == acknowledged.size();
            });
  }

  @Test
  @Order(8)
  void downRemovesEveryContainerNetworkAndVolume() {
    compose.compose(300, "down", "-v");
    String label = "label=com.docker.compose.project=" + PROJECT;
    assertEquals("", compose.docker(30, "ps", "-aq", "--filter", label).out().trim());
    assertEquals("", compose.docker(30, "network", "ls", "-q", "--filter", label).out().trim());
    assertEquals("", compose.docker(30, "volume", "ls", "-q", "--filter", label).out().trim());
    assertFalse(compose.containers().iterator().hasNext(), "compose ps after down");
  }

  /** {@code up --scale worker=N}, the apis kept at 2 and nothing else recreated; healthy. */
  private static void scaleWorkers(int workers) {
    compose.compose(
        600,
        "up",
        "-d",
        "--no-recreate",
        "--scale",
        "api=2",
        "--scale",
        "worker=" + workers,
        "--wait",
        "--wait-timeout",
        "120");
  }

  private static JsonNode accept(String data) throws Exception {
    HttpResponse<String> response = lb.post("/api/v1/work", "{\"data\":\"" + data + "\"}");
    assertEquals(200, response.statusCode(), response.body());
    return JSON.readTree(response.body());
  }

  private static String status(String id) throws Exception {
    return JSON.readTree(lb.get("/api/v1/work/" + id).body()).path("status").asText();
  }

  /** How many servers of the backend `apis` HAProxy has UP, from its stats CSV. */
  private static int serversUp() throws Exception {
    int up = 0;
    for (String row : Endpoint.at(statsPort).get("/stats;csv").body().split("\n")) {
      String[] cells = row.split(",");
      if (cells.length > 17
          && cells[0].equals("apis")
          && !cells[1].equals("BACKEND")
          && cells[17].equals("UP")) {
        up++;
      }
    }
    return up;
  }
}
