package dev.conveyor.system;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;
import org.awaitility.Awaitility;

/**
 * A real {@code haproxy} process from PATH with the local-mode configuration ({@code
 * haproxy/local.cfg.in}), in front of the given API ports; stopped by the test that started it.
 */
final class Haproxy implements AutoCloseable {

  private final Process process;
  private final Path log;
  private final int port;

  private Haproxy(Process process, Path log, int port) {
    this.process = process;
    this.log = log;
    this.port = port;
  }

  static Haproxy start(int port, List<Integer> apiPorts) throws IOException {
    Path dir = Path.of(System.getProperty("conveyor.haproxy.dir"));
    String servers =
        apiPorts.stream()
            .map(p -> "    server api-" + p + " 127.0.0.1:" + p + " check")
            .collect(Collectors.joining("\n"));
    String config =
        Files.readString(dir.resolve("local.cfg.in"))
            .replace("@LB_BIND@", "127.0.0.1:" + port)
            .replace("@ERRORS@", dir.resolve("errors").toAbsolutePath().toString())
            .replace("@SERVERS@", servers);
    Path file = Files.createTempFile("conveyor-haproxy-", ".cfg");
    Files.writeString(file, config);
    Path log = Files.createTempFile("conveyor-haproxy-", ".log");
    Process process =
        new ProcessBuilder("haproxy", "-db", "-f", file.toString())
            .redirectErrorStream(true)
            .redirectOutput(log.toFile())
            .start();
    Haproxy haproxy = new Haproxy(process, log, port);
    Awaitility.await("haproxy sees a ready api")
        .atMost(Duration.ofSeconds(15))
        .pollInterval(Duration.ofMillis(100))
        .until(haproxy::ready);
    return haproxy;
  }

  private boolean ready() throws IOException {
    if (!process.isAlive()) {
      throw new IllegalStateException("haproxy exited: " + Files.readString(log));
    }
    try {
      return Endpoint.at(port).get("/lb/health").statusCode() == 200;
    } catch (IOException e) {
      return false;
    }
  }

  int port() {
    return port;
  }

  /**
   * The {@code haproxy} on PATH's version, as major × 100 + minor (2.6 → 206). From 3.2 its HTTP/1
   * layer answers what it cannot parse with the configured errorfiles (JSON); before, with built-in
   * HTML pages (haproxy/haproxy#3032).
   */
  static int version() throws IOException, InterruptedException {
    Process v = new ProcessBuilder("haproxy", "-v").redirectErrorStream(true).start();
    String out = new String(v.getInputStream().readAllBytes());
    v.waitFor(5, TimeUnit.SECONDS);
    java.util.regex.Matcher m =
        java.util.regex.Pattern.compile("version (\\d+)\\.(\\d+)").matcher(out);
    if (!m.find()) {
      throw new IllegalStateException("no version in haproxy -v: " + out);
    }
    return Integer.parseInt(m.group(1)) * 100 + Integer.parseInt(m.group(2));
  }

  boolean alive() {
    return process.isAlive();
  }

  String log() throws IOException {
    return Files.readString(log);
  }

  @Override
  public void close() throws InterruptedException {
    process.destroy();
    process.waitFor(5, TimeUnit.SECONDS);
    process.destroyForcibly();
  }
}
