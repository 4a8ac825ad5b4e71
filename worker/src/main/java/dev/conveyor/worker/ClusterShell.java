package dev.conveyor.worker;

import dev.conveyor.core.Ledger;
import dev.conveyor.core.QueueStats;
import dev.conveyor.core.StorageUnavailableException;
import dev.conveyor.core.cluster.ClusterMember;
import dev.conveyor.core.cluster.Duties;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.PrintStream;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;

/**
 * The interactive cluster shell (the seed's {@code docker-compose run shell}): reads one command a
 * line, from a terminal with a prompt or from a pipe without one, and answers from the cluster
 * ({@code members}, {@code stats}, {@code ping}, {@code pause}, {@code resume}, {@code drain}) or
 * from Redis ({@code ledger}, {@code queue}). Returns 0 when every command succeeded, else 1, so a
 * script can tell.
 */
final class ClusterShell {

  /** How long the shell waits for members to answer a request. */
  static final Duration ANSWER_WITHIN = Duration.ofSeconds(3);

  static final String HELP =
      """
      members           the members of the cluster view, coordinator first
      ledger            every node's ledger entry: role, state, counters, last beat
      queue             jobs pending, delayed, dead, in each worker's hands; counters
      stats             ask every member for its counters (over the cluster)
      ping [member]     round trip to every member, or to one
      pause <member>    a worker stops claiming; its in-flight jobs finish
      resume <member>   a paused worker claims again
      drain <member>    a worker finishes its in-flight jobs, leaves and exits
      clear             clear the screen (for a loop: while :; do echo clear; echo ledger; sleep 2; done | …)
      help              this text
      exit              leave the cluster and quit (end of input does the same)""";

  private final ClusterMember cluster;
  private final Ledger ledger;
  private final QueueStats queue;
  private final PrintStream out;

  ClusterShell(ClusterMember cluster, Ledger ledger, QueueStats queue, PrintStream out) {
    this.cluster = cluster;
    this.ledger = ledger;
    this.queue = queue;
    this.out = out;
  }

  /** Runs commands until {@code exit} or the end of input. */
  int run(BufferedReader in, boolean interactive) throws IOException {
    boolean allOk = true;
    if (interactive) {
      out.println(
          "conveyor shell: "
              + cluster.nodeName()
              + " joined "
              + cluster.members().size()
              + " member(s). Type help.");
    }
    while (true) {
      if (interactive) {
        out.print("conveyor> ");
        out.flush();
      }
      String line = in.readLine();
      if (line == null) {
        return allOk ? 0 : 1;
      }
      String[] words = line.trim().split("\\s+");
      if (words[0].isEmpty() || words[0].startsWith("#")) {
        continue;
      }
      if (words[0].equalsIgnoreCase("exit") || words[0].equalsIgnoreCase("quit")) {
        return allOk ? 0 : 1;
      }
      allOk &= execute(words[0].toLowerCase(Locale.ROOT), words.length > 1 ? words[1] : null);
      out.flush();
    }
  }

  /** Runs one command; false when it failed (the reason is printed). */
  boolean execute(String command, String argument) {
    try {
      return switch (command) {
        case "help" -> {
          out.println(HELP);
          yield true;
        }
        case "clear" -> {
          out.print("\033[H\033[2J");
          yield true;
        }
        case "members" -> members();
        case "ledger" -> ledger();
        case "queue" -> queue();
        case Duties.STATS, Duties.PING -> ask(command, Optional.ofNullable(argument));
        case WorkerDuties.PAUSE, WorkerDuties.RESUME, WorkerDuties.DRAIN ->
            ask(command, Optional.of(required(command, argument)));
        default -> {
          out.println("unknown command '" + command + "'; type help");
          yield false;
        }
      };
    } catch (IllegalArgumentException e) {
      out.println(e.getMessage());
      return false;
    } catch (StorageUnavailableException e) {
      out.println("Redis is unavailable: " + e.getMessage());
      return false;
    } catch (Exception e) {
      out.println(command + " failed: " + e.getMessage());
      return false;
    }
  }

  private static String required(String command, String argument) {
    if (argument == null) {
      throw new IllegalArgumentException(command + " needs a member name; see members");
    }
    return argument;
  }

  private boolean members() {
    List<String> members = cluster.members();
    String coordinator = cluster.coordinator().orElse("");
    for (String member : members) {
      out.println(
          member
              + (member.equals(coordinator) ? "  (coordinator)" : "")
              + (member.equals(cluster.nodeName()) ? "  (this shell)" : ""));
    }
    return true;
  }

  private boolean ledger() {
    List<Ledger.Entry> entries = ledger.members().await().indefinitely();
    out.printf(
        "%-28s %-7s %-9s %-16s %9s %9s %6s %8s%n",
        "NAME", "ROLE", "STATE", "TYPES", "IN_FLIGHT", "PROCESSED", "FAILED", "BEAT_AGO");
    long now = Instant.now().toEpochMilli();
    for (Ledger.Entry e : entries) {
      String lastBeat = e.field("last_beat");
      String ago = lastBeat == null ? "-" : (now - Long.parseLong(lastBeat)) / 100 / 10.0 + "s";
      out.printf(
          "%-28s %-7s %-9s %-16s %9s %9s %6s %8s%n",
          e.name(),
          dash(e.field("role")),
          dash(e.field("state")),
          dash(e.field("types")),
          dash(e.field("in_flight")),
          dash(e.field("processed")),
          dash(e.field("failed")),
          ago);
    }
    return true;
  }

  private boolean queue() {
    QueueStats.Snapshot s = queue.snapshot().await().indefinitely();
    out.printf("pending %d   delayed %d   dead %d%n", s.pending(), s.delayed(), s.dead());
    if (s.pendingByShard().size() > 1) {
      out.printf(
          "  pending per shard %s%n",
          String.join(" / ", s.pendingByShard().stream().map(n -> Long.toString(n)).toList()));
    }
    s.pendingByType()
        .forEach(
            (type, byPriority) ->
                out.printf(
                    "  type %-16s high %d   normal %d   low %d%n",
                    type,
                    byPriority.getOrDefault("high", 0L),
                    byPriority.getOrDefault("normal", 0L),
                    byPriority.getOrDefault("low", 0L)));
    s.processing().forEach((worker, count) -> out.printf("  %s holds %d%n", worker, count));
    out.printf(
        "accepted %d   worked %d   failed %d   retried %d   recovered %d   fenced %d%n",
        s.counter("accepted"),
        s.counter("worked"),
        s.counter("failed"),
        s.counter("retried"),
        s.counter("recovered"),
        s.counter("fenced"));
    return true;
  }

  /** Prints every member's answer; false if any member did not answer or refused. */
  private boolean ask(String verb, Optional<String> member) throws Exception {
    boolean allOk = true;
    for (ClusterMember.Reply reply : cluster.ask(verb, member, ANSWER_WITHIN)) {
      if (!reply.ok()) {
        out.printf("%-28s %s%n", reply.member(), "error: " + reply.error());
        allOk = false;
        continue;
      }
      switch (verb) {
        case Duties.PING ->
            out.printf("%-28s %.2f ms%n", reply.member(), reply.rtt().toNanos() / 1_000_000.0);
        case Duties.STATS -> out.printf("%-28s %s%n", reply.member(), describe(reply.fields()));
        default -> out.printf("%-28s %s%n", reply.member(), dash(reply.fields().get("state")));
      }
    }
    return allOk;
  }

  private static String describe(Map<String, String> fields) {
    StringBuilder text = new StringBuilder();
    fields.forEach((k, v) -> text.append(k).append('=').append(v).append(' '));
    return text.toString().trim();
  }

  private static String dash(String value) {
    return value == null ? "-" : value;
  }
}
