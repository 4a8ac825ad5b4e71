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
 * A Redis Cluster of {@code masters} masters (and as many replicas each as asked) as real {@code
 * redis-server} processes on loopback, its slots spread evenly by {@code redis-cli --cluster
 * create}. Every process is a child of this one. {@link #url()} is what REDIS_URL lists with
 * REDIS_CLIENT_TYPE=cluster.
 */
public final class RedisClusterSet implements AutoCloseable {

  private static final Duration START_LIMIT = Duration.ofSeconds(30);

  private final Path dir;
  private final List<Integer> ports = new ArrayList<>();
  private final List<Process> processes = new ArrayList<>();
  private final java.util.Map<Integer, Process> byPort = new java.util.HashMap<>();
  private final java.util.Set<Integer> initialMasters = new java.util.HashSet<>();

  private RedisClusterSet(Path dir) {
    this.dir = dir;
  }

  public static RedisClusterSet start(int masters) throws IOException, InterruptedException {
    return start(masters, 0);
  }

  /** {@code masters} masters with {@code replicas} replicas each. */
  public static RedisClusterSet start(int masters, int replicas)
      throws IOException, InterruptedException {
    RedisClusterSet set = new RedisClusterSet(Files.createTempDirectory("conveyor-cluster-"));
    try {
      for (int i = 0; i < masters * (1 + replicas); i++) {
        set.startNode();
      }
      List<String> create = new ArrayList<>(List.of("redis-cli", "--cluster", "create"));
      set.ports.forEach(p -> create.add("127.0.0.1:" + p));
      create.add("--cluster-replicas");
      create.add(Integer.toString(replicas));
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
      set.initialMasters.addAll(set.masters().keySet());
      if (replicas > 0) {
        set.awaitReplicasInSync(masters * replicas);
      }
      return set;
    } catch (IOException | RuntimeException | InterruptedException e) {
      set.close();
      throw e;
    }
  }

  private void startNode() throws IOException {
    int port = RedisServers.freeClusterPort();
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
    byPort.put(port, process);
    Instant deadline = Instant.now().plus(START_LIMIT);
    while (!RedisServers.answersPing(port, null)) {
      if (!process.isAlive() || Instant.now().isAfter(deadline)) {
        throw new IllegalStateException("cluster node on " + port + " did not start");
      }
      SentinelSet.sleep(20);
    }
  }

  private void awaitReplicasInSync(int replicas) throws IOException {
    Instant deadline = Instant.now().plus(START_LIMIT);
    while (true) {
      int synced = 0;
      for (int port : ports) {
        String info = String.join("\n", SentinelSet.command(port, "INFO", "replication"));
        if (info.contains("role:slave") && info.contains("master_link_status:up")) {
          synced++;
        }
      }
      if (synced == replicas) {
        return;
      }
      if (Instant.now().isAfter(deadline)) {
        throw new IllegalStateException(synced + " of " + replicas + " replicas in sync");
      }
      SentinelSet.sleep(50);
    }
  }

  /**
   * The masters now (CLUSTER NODES as a live node sees it): port to the first slot of its range, in
   * port order.
   */
  public java.util.SortedMap<Integer, Integer> masters() throws IOException {
    java.util.SortedMap<Integer, Integer> masters = new java.util.TreeMap<>();
    for (int port : ports) {
      if (!byPort.get(port).isAlive()) {
        continue;
      }
      for (String line :
          String.join("\n", SentinelSet.command(port, "CLUSTER", "NODES")).split("\n")) {
        String[] f = line.trim().split(" ");
        if (f.length > 8 && f[2].contains("master") && !f[2].contains("fail")) {
          int at = Integer.parseInt(f[1].substring(f[1].indexOf(':') + 1, f[1].indexOf('@')));
          masters.put(at, Integer.parseInt(f[8].split("-")[0]));
        }
      }
      return masters;
    }
    throw new IOException("no live node");
  }

  /** SIGKILLs the node on {@code port}. */
  public void kill(int port) throws InterruptedException {
    Process process = byPort.get(port);
    process.destroyForcibly();
    process.waitFor(10, TimeUnit.SECONDS);
  }

  /**
   * Waits until a replica took over the killed master's slots and the cluster is ok again; the new
   * master's port.
   */
  public int awaitFailoverFrom(int killed, Duration limit) throws IOException {
    Instant deadline = Instant.now().plus(limit);
    while (Instant.now().isBefore(deadline)) {
      try {
        boolean ok = true;
        for (int port : ports) {
          if (byPort.get(port).isAlive()
              && !String.join("\n", SentinelSet.command(port, "CLUSTER", "INFO"))
                  .contains("cluster_state:ok")) {
            ok = false;
          }
        }
        java.util.SortedMap<Integer, Integer> masters = masters();
        if (ok && !masters.containsKey(killed) && masters.size() == initialMasters.size()) {
          for (int port : masters.keySet()) {
            if (!initialMasters.contains(port)) {
              return port;
            }
          }
        }
      } catch (IOException e) {
        // a node busy with the failover: ask again
      }
      SentinelSet.sleep(50);
    }
    throw new IllegalStateException("no failover from " + killed + " within " + limit);
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

  /** Every node's port, masters and replicas. */
  public List<Integer> ports() {
    return List.copyOf(ports);
  }

  /** REDIS_URL for REDIS_CLIENT_TYPE=cluster: every node, comma-separated. */
  public String url() {
    return ports.stream().map(p -> "redis://127.0.0.1:" + p).collect(Collectors.joining(","));
  }

  /** How many keys each master holds (DBSIZE), in port order. */
  public List<Long> keysPerMaster() throws IOException {
    List<Long> sizes = new ArrayList<>();
    for (int port : masters().keySet()) {
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
