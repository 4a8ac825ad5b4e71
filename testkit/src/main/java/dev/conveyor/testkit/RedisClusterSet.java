package dev.conveyor.testkit;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;

/**
 * A Redis Cluster of {@code masters} masters as real {@code redis-server} processes on loopback,
 * its slots spread by {@code redis-cli --cluster create}. Every process is a child of this one.
 * {@link #url()} is what REDIS_URL lists with REDIS_CLIENT_TYPE=cluster.
 */
public final class RedisClusterSet implements AutoCloseable {

  private static final Duration START_LIMIT = Duration.ofSeconds(30);

  private final Path dir;
  private final List<Integer> ports = new ArrayList<>();
  private final List<Process> processes = new ArrayList<>();

  private RedisClusterSet(Path dir) {
    this.dir = dir;
  }

  public static RedisClusterSet start(int masters) throws IOException, InterruptedException {
    RedisClusterSet set = new RedisClusterSet(Files.createTempDirectory("conveyor-cluster-"));
    try {
      for (int i = 0; i < masters; i++) {
        set.startNode();
      }
      List<String> create = new ArrayList<>(List.of("redis-cli", "--cluster", "create"));
      set.ports.forEach(p -> create.add("127.0.0.1:" + p));
      create.add("--cluster-yes");
      Process cli =
          new ProcessBuilder(create)
              .redirectErrorStream(true)
              .redirectOutput(set.dir.resolve("create.log").toFile())
              .start();
      if (!cli.waitFor(30, TimeUnit.SECONDS) || cli.exitValue() != 0) {
        cli.destroyForcibly();
        throw new IllegalStateException(
            "redis-cli --cluster create failed: "
                + Files.readString(set.dir.resolve("create.log")));
      }
      set.awaitClusterOk();
      return set;
    } catch (IOException | RuntimeException | InterruptedException e) {
      set.close();
      throw e;
    }
  }

  private void startNode() throws IOException {
    int port = RedisServers.freePort();
    Path data = Files.createDirectories(dir.resolve("node-" + port));
    Process process =
        new ProcessBuilder(
                RedisServers.serverCommand(
                    RedisServers.requireRedisBinary(),
                    port,
                    data,
                    "everysec",
                    "--cluster-enabled",
                    "yes",
                    "--cluster-config-file",
                    data.resolve("nodes.conf").toString(),
                    "--cluster-node-timeout",
                    "2000"))
            .redirectErrorStream(true)
            .redirectOutput(ProcessBuilder.Redirect.DISCARD)
            .start();
    processes.add(process);
    ports.add(port);
    Instant deadline = Instant.now().plus(START_LIMIT);
    while (!RedisServers.answersPing(port, null)) {
      if (!process.isAlive() || Instant.now().isAfter(deadline)) {
        throw new IllegalStateException("cluster node on " + port + " did not start");
      }
      SentinelSet.sleep(20);
    }
  }

  private void awaitClusterOk() throws IOException {
    Instant deadline = Instant.now().plus(START_LIMIT);
    for (int port : ports) {
      while (!String.join("\n", SentinelSet.command(port, "CLUSTER", "INFO"))
          .contains("cluster_state:ok")) {
        if (Instant.now().isAfter(deadline)) {
          throw new IllegalStateException("the cluster is not ok on " + port);
        }
        SentinelSet.sleep(50);
      }
    }
  }

  /** The masters' ports. */
  public List<Integer> ports() {
    return List.copyOf(ports);
  }

  /** REDIS_URL for REDIS_CLIENT_TYPE=cluster: every master, comma-separated. */
  public String url() {
    return ports.stream().map(p -> "redis://127.0.0.1:" + p).collect(Collectors.joining(","));
  }

  /** How many keys each master holds (DBSIZE), in the order of {@link #ports()}. */
  public List<Long> keysPerMaster() throws IOException {
    List<Long> sizes = new ArrayList<>();
    for (int port : ports) {
      sizes.add(Long.parseLong(SentinelSet.command(port, "DBSIZE").get(0)));
    }
    return sizes;
  }

  @Override
  public void close() {
    processes.forEach(Process::destroyForcibly);
    for (Process process : processes) {
      try {
        process.waitFor(10, TimeUnit.SECONDS);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
    }
  }
}
