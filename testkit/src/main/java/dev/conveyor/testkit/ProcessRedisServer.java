package dev.conveyor.testkit;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

/**
 * A {@code redis-server} child process on a free loopback port, its AOF and log in a temporary
 * directory. Only this process is ever stopped or killed: it is the one this class started.
 */
final class ProcessRedisServer implements RedisServer {

  private static final Duration START_LIMIT = Duration.ofSeconds(15);

  private final Path binary;
  private final Path dir;
  private final int port;
  private final String password;
  private Process process;

  private ProcessRedisServer(Path binary, Path dir, int port, String password) {
    this.binary = binary;
    this.dir = dir;
    this.port = port;
    this.password = password;
  }

  static ProcessRedisServer start(Path binary, String password) {
    try {
      Path dir = Files.createTempDirectory("conveyor-redis-");
      ProcessRedisServer server =
          new ProcessRedisServer(binary, dir, RedisServers.freePort(), password);
      server.restart();
      return server;
    } catch (IOException e) {
      throw new IllegalStateException("cannot make a data directory for redis-server", e);
    }
  }

  @Override
  public synchronized void restart() {
    if (isRunning()) {
      return;
    }
    List<String> command =
        new ArrayList<>(
            RedisServers.serverCommand(
                binary, port, dir, "always", "--daemonize", "no", "--loglevel", "warning"));
    if (password != null) {
      command.addAll(List.of("--requirepass", password));
    }
    try {
      process = new ProcessBuilder(command).redirectErrorStream(true).start();
    } catch (IOException e) {
      throw new IllegalStateException("cannot start " + binary, e);
    }
    awaitPong();
  }

  private void awaitPong() {
    Instant deadline = Instant.now().plus(START_LIMIT);
    while (Instant.now().isBefore(deadline)) {
      if (!process.isAlive()) {
        throw new IllegalStateException(
            "redis-server on port " + port + " exited at start: " + logTail());
      }
      if (RedisServers.answersPing(port, password)) {
        return;
      }
      try {
        Thread.sleep(20); // polling a starting process: there is no event to wait on
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        throw new IllegalStateException("interrupted while starting redis-server", e);
      }
    }
    throw new IllegalStateException(
        "redis-server on port " + port + " did not answer PING in " + START_LIMIT);
  }

  private String logTail() {
    try {
      List<String> lines = Files.readAllLines(dir.resolve("redis.log"));
      return String.join(" | ", lines.subList(Math.max(0, lines.size() - 5), lines.size()));
    } catch (IOException e) {
      return "(no log)";
    }
  }

  @Override
  public String url() {
    return RedisServers.url(password, port);
  }

  @Override
  public int port() {
    return port;
  }

  @Override
  public synchronized void stop() {
    end(false);
  }

  @Override
  public synchronized void kill() {
    end(true);
  }

  private void end(boolean forcibly) {
    if (process == null || !process.isAlive()) {
      return;
    }
    if (forcibly) {
      process.destroyForcibly();
    } else {
      process.destroy();
    }
    try {
      if (!process.waitFor(10, TimeUnit.SECONDS)) {
        process.destroyForcibly();
        process.waitFor(5, TimeUnit.SECONDS);
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }

  @Override
  public synchronized void freeze() {
    signal("STOP");
  }

  @Override
  public synchronized void thaw() {
    signal("CONT");
  }

  private void signal(String name) {
    if (!isRunning()) {
      throw new IllegalStateException("redis-server on port " + port + " is not running");
    }
    try {
      int exit =
          new ProcessBuilder("kill", "-" + name, Long.toString(process.pid())).start().waitFor();
      if (exit != 0) {
        throw new IllegalStateException("kill -" + name + " " + process.pid() + " failed: " + exit);
      }
    } catch (IOException e) {
      throw new IllegalStateException("cannot signal redis-server", e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }

  @Override
  public synchronized boolean isRunning() {
    return process != null && process.isAlive();
  }

  @Override
  public synchronized void close() {
    kill();
    try (Stream<Path> files = Files.walk(dir)) {
      files.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
    } catch (IOException e) {
      // a temp directory left behind is harmless
    }
  }

  @Override
  public String kind() {
    return "process";
  }
}
