package dev.conveyor.worker;

import dev.conveyor.core.Ledger;
import dev.conveyor.core.NodeNames;
import dev.conveyor.core.QueueStats;
import dev.conveyor.core.StorageUnavailableException;
import dev.conveyor.core.Store;
import dev.conveyor.core.cluster.ClusterMember;
import dev.conveyor.core.cluster.Duties;
import io.vertx.mutiny.redis.client.Redis;
import jakarta.inject.Singleton;
import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.Map;
import java.util.concurrent.CompletionException;

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
    Store store = Store.of(redis, config);
    this.node = NodeNames.numbered("shell", config.nodeName());
    this.ledger = store.ledger();
    this.queue = store.stats();
    // a shell answers stats and ping; it has nothing to pause or drain
    this.cluster =
        new ClusterMember(
            config.clusterSettings(), store.directory(), node, Duties.observer("shell", node));
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
      // a prompt on a terminal; SHELL_PROMPT=always gives one where stdin is a pipe that a person
      // types into (the dashboard's pane runs the container without a TTY, so that closing the
      // pane ends the shell: a TTY would keep the container alive with nobody attached)
      boolean prompt =
          System.console() != null || "always".equalsIgnoreCase(System.getenv("SHELL_PROMPT"));
      return new ClusterShell(cluster, ledger, queue, out).run(in, prompt);
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
      } catch (CompletionException e) {
        if (e.getCause() instanceof InterruptedException) {
          return; // the session ended while a beat was on its way
        }
        throw e;
      }
      if (!Sleep.interruptibly(config.heartbeatInterval())) {
        return;
      }
    }
  }
}
