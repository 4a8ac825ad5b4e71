package dev.conveyor.worker;

import dev.conveyor.core.ClusterDirectory;
import dev.conveyor.core.Ledger;
import dev.conveyor.core.NodeNames;
import dev.conveyor.core.QueueStats;
import dev.conveyor.core.RedisKeys;
import dev.conveyor.core.StorageUnavailableException;
import dev.conveyor.core.cluster.ClusterMember;
import io.vertx.mutiny.redis.client.Redis;
import jakarta.inject.Singleton;
import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.Map;

/**
 * The worker jar in the {@code shell} profile: joins the cluster as a shell (no jobs; it answers
 * {@code stats} and {@code ping}, refuses the rest), keeps an entry in the ledger (role {@code
 * shell}) while it runs, and hands the terminal or stdin to {@link ClusterShell}.
 */
@Singleton
public class ShellSession {

  private final WorkerConfig config;
  private final ClusterMember cluster;
  private final Ledger ledger;
  private final QueueStats queue;
  private final String node;

  public ShellSession(WorkerConfig config, Redis redis) {
    this.config = config;
    RedisKeys keys = new RedisKeys(config.redisPrefix());
    this.node = NodeNames.numbered("shell", config.nodeName());
    this.ledger = new Ledger(redis, keys, config.redisTimeout());
    this.queue = new QueueStats(redis, keys, config.redisTimeout());
    this.cluster =
        new ClusterMember(
            config.clusterSettings(config.heartbeatInterval()),
            new ClusterDirectory(redis, keys, config.redisTimeout()),
            node,
            duties(node));
  }

  /** A shell answers {@code stats} and {@code ping}; it has nothing to pause or drain. */
  static ClusterMember.Duties duties(String node) {
    return request ->
        switch (request) {
          case STATS, PING -> {
            Map<String, String> fields = new java.util.LinkedHashMap<>();
            fields.put("role", "shell");
            fields.put("state", "running");
            yield fields;
          }
          default ->
              throw new UnsupportedOperationException(
                  node + " is a shell: it has no jobs to pause, resume or drain");
        };
  }

  /** Runs the shell on this process' stdin and stdout; the exit code of the process. */
  int run() {
    PrintStream out = new PrintStream(System.out, true, StandardCharsets.UTF_8);
    try {
      cluster.join();
    } catch (Exception e) {
      out.println("cannot join cluster '" + config.clusterName() + "': " + e.getMessage());
      return 1;
    }
    Thread beats = Thread.ofPlatform().name("shell-heartbeat").daemon().start(this::beat);
    try {
      BufferedReader in =
          new BufferedReader(new InputStreamReader(System.in, StandardCharsets.UTF_8));
      return new ClusterShell(cluster, ledger, queue, out).run(in, System.console() != null);
    } catch (Exception e) {
      out.println("shell failed: " + e.getMessage());
      return 1;
    } finally {
      beats.interrupt();
      try {
        ledger.leave(node).await().indefinitely();
      } catch (StorageUnavailableException e) {
        // the entry expires by itself
      }
      cluster.close();
    }
  }

  private void beat() {
    Map<String, String> entry = Ledger.identity("shell", Instant.now());
    entry.put("state", "running");
    while (!Thread.currentThread().isInterrupted()) {
      try {
        ledger.heartbeat(node, config.heartbeatInterval(), entry).await().indefinitely();
      } catch (StorageUnavailableException e) {
        // the queue and ledger commands say so when they fail
      }
      if (!Worker.pause(config.heartbeatInterval())) {
        return;
      }
    }
  }
}
