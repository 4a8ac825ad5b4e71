package dev.conveyor.system;

import java.io.IOException;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.awaitility.Awaitility;

/**
 * One packaged Conveyor service (its {@code quarkus-run.jar}) running as a real child process, with
 * its output in a log file. Only this process is ever signalled.
 */
final class Service implements AutoCloseable {

  private final String name;
  private final Process process;
  private final Path log;
  private final int port;

  private Service(String name, Process process, Path log, int port) {
    this.name = name;
    this.process = process;
    this.log = log;
    this.port = port;
  }

  /** Starts the jar named by system property {@code conveyor.<module>.jar} and waits for ready. */
  static Service start(String module, int port, Map<String, String> env) throws IOException {
    Service service = launch(module, port, env);
    Awaitility.await(module + " ready")
        .atMost(Duration.ofSeconds(30))
        .pollInterval(Duration.ofMillis(100))
        .until(service::ready);
    return service;
  }

  /** Starts the jar without waiting for anything. */
  static Service launch(String module, int port, Map<String, String> env) throws IOException {
    Path jar = Path.of(System.getProperty("conveyor." + module + ".jar"));
    if (!Files.exists(jar)) {
      throw new IllegalStateException(jar + " is missing: run ./mvnw package first");
    }
    String java = ProcessHandle.current().info().command().orElse("java");
    Path log = Files.createTempFile("conveyor-" + module + "-", ".log");
    ProcessBuilder builder =
        new ProcessBuilder(java, "-Xmx256m", "-jar", jar.toString())
            .redirectErrorStream(true)
            .redirectOutput(log.toFile());
    // the cluster on loopback, with a secret, unless the test says otherwise
    builder.environment().put("CLUSTER_BIND_ADDR", "127.0.0.1");
    builder.environment().put("CLUSTER_PORT", "0");
    builder.environment().put("CLUSTER_SECRET", "system test secret");
    builder.environment().putAll(env);
    builder.environment().put("QUARKUS_HTTP_PORT", Integer.toString(port));
    builder.environment().put("QUARKUS_HTTP_HOST", "127.0.0.1");
    builder.environment().put("QUARKUS_ANALYTICS_DISABLED", "true");
    return new Service(module, builder.start(), log, port);
  }

  private boolean ready() throws IOException {
    if (!process.isAlive()) {
      throw new IllegalStateException(name + " exited at start: " + Files.readString(log));
    }
    try {
      return get("/q/health/live").statusCode() == 200;
    } catch (IOException e) {
      return false;
    }
  }

  HttpResponse<String> get(String path) throws IOException {
    return Endpoint.at(port).get(path);
  }

  HttpResponse<String> post(String path, String body) throws IOException {
    return Endpoint.at(port).post(path, body);
  }

  int port() {
    return port;
  }

  boolean alive() {
    return process.isAlive();
  }

  /** SIGTERM, then the exit code once it has drained (at most {@code limit}). */
  int terminate(Duration limit) throws InterruptedException {
    process.destroy();
    if (!process.waitFor(limit.toMillis(), TimeUnit.MILLISECONDS)) {
      throw new IllegalStateException(name + " did not exit within " + limit);
    }
    return process.exitValue();
  }

  /** The exit code of a process that ends by itself within {@code limit}. */
  int exitCode(Duration limit) throws InterruptedException {
    if (!process.waitFor(limit.toMillis(), TimeUnit.MILLISECONDS)) {
      throw new IllegalStateException(name + " did not exit within " + limit);
    }
    return process.exitValue();
  }

  /** SIGKILL: no drain, no leave, sockets closed by the kernel. */
  void kill() throws InterruptedException {
    process.destroyForcibly();
    process.waitFor();
  }

  /** The sum of a Prometheus metric's samples on /q/metrics, over all its tag sets. */
  double metric(String name) throws IOException {
    return get("/q/metrics")
        .body()
        .lines()
        .filter(l -> l.startsWith(name + " ") || l.startsWith(name + "{"))
        .mapToDouble(l -> Double.parseDouble(l.substring(l.lastIndexOf(' ') + 1)))
        .sum();
  }

  String log() throws IOException {
    return Files.readString(log);
  }

  @Override
  public void close() {
    process.destroyForcibly();
  }
}
