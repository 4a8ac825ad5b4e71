package dev.conveyor.worker;

import dev.conveyor.core.JanitorLease;
import dev.conveyor.core.JobRecovery;
import dev.conveyor.core.Ledger;
import dev.conveyor.core.RetryPolicy;
import dev.conveyor.core.StorageUnavailableException;
import dev.conveyor.core.cluster.ClusterMember;
import java.time.Duration;
import java.time.Instant;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import org.jboss.logging.Logger;

/**
 * The cluster's janitor: every worker keeps track of the members that left its view, and the
 * coordinator (the oldest worker of the view: a shell or sysmon may be older, and has no janitor)
 * acts while it holds the janitor lease in Redis. Duties, in order: take or renew the lease (taking
 * it over from a holder that left the view and stopped beating); for each member that left the
 * view, recover its jobs once its ledger entry has missed a beat ({@link #recoverJobsOf}); every
 * {@link #SWEEP_EVERY}, recover the processing lists of workers that are in no view and have no
 * ledger entry at all, which covers a coordinator that died with the lease, and a split cluster.
 */
final class Janitor {

  private static final Logger LOG = Logger.getLogger(Janitor.class);

  /** How often the janitor looks; bounds how late after a missed beat a recovery happens. */
  static final Duration TICK = Duration.ofMillis(100);

  /** How long the lease lasts unless renewed (it is renewed every tick). */
  static final Duration LEASE = Duration.ofSeconds(5);

  /**
   * Silence beyond a member's own heartbeat interval that counts as a missed beat: room for a late
   * beat of a live member, small enough that a killed worker's jobs are back within 3 s.
   */
  static final Duration MISSED_BEAT_SLACK = Duration.ofMillis(400);

  /** How often the sweep looks for processing lists whose owner has no ledger entry. */
  static final Duration SWEEP_EVERY = Duration.ofSeconds(5);

  /** Silence beyond the heartbeat that the sweep requires: longer than any entry lives. */
  static final Duration SWEEP_SILENCE = Duration.ofMinutes(10);

  /** How often the roles of the view's members are read again from the ledger. */
  static final Duration ROLES_EVERY = Duration.ofSeconds(2);

  private final JobRecovery recovery;
  private final Ledger ledger;
  private final JanitorLease lease;
  private final ClusterMember cluster;
  private final RetryPolicy policy;
  private final Duration giveUpAfter;
  // members that left the view, by name, with when they left; kept until recovered or back
  private final Map<String, Instant> departed = new ConcurrentHashMap<>();
  private volatile Set<String> members = Set.of();
  private volatile List<String> view = List.of();
  // members known not to be workers (shell, sysmon): they run no janitor
  private volatile Set<String> nonWorkers = Set.of();
  private volatile boolean rolesStale = true;
  private Instant nextRoles = Instant.now();
  private volatile String lastHolder;
  private volatile boolean running;
  private Instant nextSweep = Instant.now();
  private Thread thread;

  /**
   * @param heartbeatInterval the cluster's HEARTBEAT_INTERVAL: a departed member that still beats
   *     after three of them is taken to be cut off, not dead, and left to the sweep
   */
  Janitor(
      JobRecovery recovery,
      Ledger ledger,
      JanitorLease lease,
      ClusterMember cluster,
      RetryPolicy policy,
      Duration heartbeatInterval) {
    this.recovery = recovery;
    this.ledger = ledger;
    this.lease = lease;
    this.cluster = cluster;
    this.policy = policy;
    this.giveUpAfter = heartbeatInterval.multipliedBy(3);
    cluster.onViewChange(this::viewChanged);
  }

  private void viewChanged(ClusterMember.ViewChange change) {
    Instant now = Instant.now();
    change.left().forEach(name -> departed.putIfAbsent(name, now));
    change.members().forEach(departed::remove);
    members = Set.copyOf(change.members());
    view = List.copyOf(change.members());
    rolesStale = true;
  }

  /**
   * Whether this worker is the view's oldest worker. Members whose role is not known yet count as
   * workers, so a new shell can only delay the janitor until the next read of the roles.
   */
  boolean isCoordinator() {
    for (String member : view) {
      if (!nonWorkers.contains(member)) {
        return member.equals(cluster.nodeName());
      }
    }
    return false;
  }

  private void refreshRoles() {
    if (!rolesStale && Instant.now().isBefore(nextRoles)) {
      return;
    }
    rolesStale = false;
    nextRoles = Instant.now().plus(ROLES_EVERY);
    Set<String> others = new HashSet<>();
    for (Ledger.Entry entry : ledger.members().await().indefinitely()) {
      if (entry.field("role") != null && !"worker".equals(entry.field("role"))) {
        others.add(entry.name());
      }
    }
    nonWorkers = Set.copyOf(others);
  }

  synchronized void start() {
    running = true;
    thread = Thread.ofPlatform().name("janitor").daemon().start(this::run);
  }

  synchronized void stop() {
    running = false;
    if (thread != null) {
      thread.interrupt();
    }
  }

  private void run() {
    while (running) {
      try {
        tick();
      } catch (StorageUnavailableException e) {
        // the claimer and the outcome writer report the outage; the janitor tries again next tick
      } catch (RuntimeException e) {
        if (!running) {
          return; // stopped while waiting on Redis
        }
        LOG.errorf(e, "janitor: unexpected failure; trying again");
      }
      if (!Sleep.interruptibly(TICK)) {
        return;
      }
    }
  }

  void tick() {
    refreshRoles();
    if (!isCoordinator()) {
      return;
    }
    Optional<String> goneHolder =
        Optional.ofNullable(lastHolder).filter(holder -> !members.contains(holder));
    JanitorLease.Holding holding =
        lease.hold(cluster.nodeName(), LEASE, goneHolder, MISSED_BEAT_SLACK).await().indefinitely();
    if (!holding.holder().equals(lastHolder)) {
      LOG.infof("janitor lease held by %s", holding.holder());
      lastHolder = holding.holder();
    }
    if (!holding.mine()) {
      return;
    }
    for (Map.Entry<String, Instant> gone : Map.copyOf(departed).entrySet()) {
      recoverJobsOf(gone.getKey(), gone.getValue());
    }
    if (!Instant.now().isBefore(nextSweep)) {
      nextSweep = Instant.now().plus(SWEEP_EVERY);
      sweep();
    }
  }

  /**
   * Puts a departed member's jobs back at the head of the queue, once its ledger entry has missed a
   * beat: a member that only lost touch with the cluster keeps beating, and keeps its jobs.
   */
  void recoverJobsOf(String member, Instant leftAt) {
    JobRecovery.Outcome outcome =
        recovery.reap(member, policy, MISSED_BEAT_SLACK).await().indefinitely();
    long sinceLeft = Duration.between(leftAt, Instant.now()).toMillis();
    if (outcome.stillBeating()) {
      if (sinceLeft > giveUpAfter.toMillis()) {
        LOG.warnf(
            "janitor: %s left the view %d ms ago but still beats in the ledger: cut off from the"
                + " cluster, not dead; its jobs stay with it (the sweep takes them if it stops"
                + " beating)",
            member, sinceLeft);
        departed.remove(member);
      }
      return;
    }
    departed.remove(member);
    WorkerMetrics.RECOVERED.increment(outcome.requeued());
    if (outcome.requeued() + outcome.failed() > 0) {
      LOG.infof(
          "janitor: %s is gone (left the view %d ms ago, no beat since); %d of its job(s) back on"
              + " the queue, %d failed as poison pills",
          member, sinceLeft, outcome.requeued(), outcome.failed());
    }
  }

  /** Recovers the lists of workers that are in no view and whose ledger entry expired. */
  void sweep() {
    List<String> workers = recovery.workers().await().indefinitely();
    Set<String> inView = new HashSet<>(members);
    for (String worker : workers) {
      if (inView.contains(worker)) {
        continue;
      }
      JobRecovery.Outcome outcome =
          recovery.reap(worker, policy, SWEEP_SILENCE).await().indefinitely();
      if (!outcome.stillBeating()) {
        departed.remove(worker);
        WorkerMetrics.RECOVERED.increment(outcome.requeued());
        LOG.infof(
            "janitor sweep: %s has no ledger entry; %d of its job(s) back on the queue, %d failed",
            worker, outcome.requeued(), outcome.failed());
      }
    }
  }
}
