package dev.conveyor.worker;

import dev.conveyor.core.ClaimedJob;
import dev.conveyor.core.JobQueue;
import io.vertx.mutiny.redis.client.Redis;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import org.jboss.logging.Logger;

/**
 * A worker's claiming and working of one job type, and the counts of it (in flight, processed,
 * failed); a worker runs one per type it serves. One claimer (a virtual thread, as are the outcome
 * writer and the handlers, so that handing work between them rarely switches OS threads) fills the
 * type's free handler slots (its concurrency): with jobs waiting, claim takes as many as there are
 * free slots ({@link Fetch}). Each claimed job runs its handler ({@link JobRunner}) on a virtual
 * thread of its own. A slot is free again when the handler returns, so the next claim does not wait
 * for the previous outcomes' round trip; the outcome then waits for the worker's {@link
 * OutcomeWriter}, which every type's loop shares (one completion call records several types' jobs).
 * At most WORKER_CONCURRENCY outcomes wait at once: past that, handlers wait to hand theirs over.
 * Until its outcome is recorded a job stays in this worker's processing list. A job cancelled while
 * it runs ({@link #cancel}) has its handler interrupted; whatever it then comes to, Redis refuses
 * it (the cancel took the job's lease) and the job leaves the processing list.
 */
final class ClaimLoop {

  private static final Logger LOG = Logger.getLogger(ClaimLoop.class);

  /** How often a paused or full claimer looks whether it may claim again. */
  static final Duration PAUSED_POLL = Duration.ofMillis(100);

  /** Most jobs one claim call takes, so one script run stays short. */
  static final int MAX_BATCH = 64;

  private final Fetch fetch;
  private final WorkerSettings settings;
  private final JobRunner runner;
  private final OutcomeWriter writer;
  private final CountDownLatch recovered;
  private final Semaphore slots;
  private final Semaphore unrecorded;
  private final Set<Thread> handlers = ConcurrentHashMap.newKeySet();
  private final Map<String, Running> handling = new ConcurrentHashMap<>();
  private final HeardCancels heard;
  private final Thread.Builder handlerThreads;
  private final int concurrency;
  private final AtomicLong inFlight = new AtomicLong();
  private final AtomicLong processed = new AtomicLong();
  private final AtomicLong failed = new AtomicLong();
  private final AtomicInteger popping = new AtomicInteger();
  private final Thread claimer;
  private volatile boolean running = true;
  private volatile boolean paused;

  /**
   * @param claimClient a client whose connection the blocking pop may hold
   * @param recovered counted down once the start-up recovery of this name's leftovers is done:
   *     nothing is claimed before
   */
  ClaimLoop(
      JobQueue queue,
      Redis claimClient,
      WorkerSettings settings,
      ServedType served,
      JobRunner runner,
      StorageWatch storage,
      OutcomeWriter writer,
      CountDownLatch recovered,
      HeardCancels heard) {
    this.heard = heard;
    this.fetch = new Fetch(queue, claimClient, settings, served.type(), storage);
    this.settings = settings;
    this.runner = runner;
    this.recovered = recovered;
    this.concurrency = served.concurrency();
    this.writer = writer;
    this.slots = new Semaphore(concurrency);
    this.unrecorded = new Semaphore(concurrency);
    this.claimer = Thread.ofVirtual().name("claimer-" + served.type()).unstarted(this::run);
    this.handlerThreads = Thread.ofVirtual().name(served.type() + "-job-", 1);
    WorkerMetrics.inFlight(settings.node(), served.type(), inFlight);
  }

  /** Starts claiming; the worker has started the outcome writer. */
  void start() {
    claimer.start();
  }

  private void run() {
    try {
      while (running && !recovered.await(100, TimeUnit.MILLISECONDS)) {
        // the housekeeper is putting back this name's leftovers first
      }
      boolean queueHadMore = false;
      while (running) {
        if (paused) {
          Sleep.interruptibly(PAUSED_POLL);
          continue;
        }
        if (!slots.tryAcquire(PAUSED_POLL.toMillis(), TimeUnit.MILLISECONDS)) {
          continue; // every slot busy
        }
        int drained = slots.drainPermits();
        int extra = Math.min(drained, MAX_BATCH - 1);
        slots.release(drained - extra);
        int wanted = 1 + extra;
        List<ClaimedJob> jobs;
        popping.incrementAndGet();
        try {
          jobs = fetch.claimSome(wanted, queueHadMore);
        } finally {
          popping.decrementAndGet();
        }
        if (jobs == null) {
          slots.release(wanted);
          break; // stopping while Redis is away: a taken id stays listed and is re-queued at stop
        }
        queueHadMore = jobs.size() == wanted;
        slots.release(wanted - jobs.size());
        for (ClaimedJob job : jobs) {
          inFlight.incrementAndGet();
          Running run = new Running();
          if (heard.taken(job.id(), () -> handling.put(job.id(), run))) {
            run.cancel(); // cancelled before its handler started: it never starts
          }
          handlerThreads.start(() -> work(job, run));
        }
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    } finally {
      fetch.close();
    }
  }

  /**
   * A claimed job in hand, from its claim to its handler's return: a cancel interrupts the handler
   * only while it runs, never the thread's later hand-over of the outcome (an interrupt there would
   * leave the job listed until the stop), and a job cancelled before its handler starts never
   * starts.
   */
  private static final class Running {
    private Thread thread;
    private boolean finished;
    private boolean cancelled;

    synchronized void cancel() {
      cancelled = true;
      if (thread != null && !finished) {
        thread.interrupt();
      }
    }

    /** The handler starts on this thread; false when the job was cancelled first. */
    synchronized boolean start() {
      thread = Thread.currentThread();
      return !cancelled;
    }

    /** The handler returned: no interrupt comes after this; true when it was cancelled. */
    synchronized boolean finish() {
      finished = true;
      return cancelled;
    }
  }

  /**
   * Interrupts the handler of job {@code id} if it runs here (it was cancelled); false when no
   * handler of this loop runs it.
   */
  boolean cancel(String id) {
    Running job = handling.get(id);
    if (job == null) {
      return false;
    }
    job.cancel();
    return true;
  }

  /** The ids of the jobs in hand: claimed, their handlers about to run or running. */
  Set<String> runningIds() {
    return Set.copyOf(handling.keySet());
  }

  private void work(ClaimedJob job, Running run) {
    handlers.add(Thread.currentThread());
    boolean handedOver = false;
    try {
      OutcomeWriter.Outcome attempt = run.start() ? runner.run(job) : null;
      handling.remove(job.id(), run);
      if (run.finish()) {
        // cancelled: its interrupt is ours, not a stop's; Redis refuses the outcome and unlists it
        Thread.interrupted();
        if (attempt == null) {
          attempt = new OutcomeWriter.Failed("cancelled");
        }
      }
      OutcomeWriter.Outcome outcome = attempt;
      if (outcome == null) {
        return; // the grace ran out: the job stays listed and is re-queued at stop
      }
      try {
        unrecorded.acquire();
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        return; // the grace ran out: the job stays listed and is re-queued at stop
      }
      handedOver = true;
      writer.record(job, outcome, recorded -> recorded(job, outcome, recorded));
    } finally {
      handling.remove(job.id(), run);
      handlers.remove(Thread.currentThread());
      if (!handedOver) {
        ended(false);
      }
      slots.release();
    }
  }

  /** What Redis made of a handed-over outcome, on the writer's thread. */
  private void recorded(ClaimedJob job, OutcomeWriter.Outcome outcome, OutcomeWriter.Recorded rec) {
    unrecorded.release();
    ended(rec == OutcomeWriter.Recorded.WORKED);
    switch (rec) {
      case WORKED -> WorkerMetrics.WORKED.increment();
      case FENCED -> {
        WorkerMetrics.FENCED.increment();
        LOG.warnf(
            "job %s attempt %d: outcome dropped, the job was recovered and given to another claim",
            job.id(), job.attempt());
      }
      case CANCELLED -> {
        WorkerMetrics.CANCELLED.increment();
        LOG.infof(
            "job %s attempt %d: cancelled while it ran, outcome dropped", job.id(), job.attempt());
      }
      case RETRY_SCHEDULED, FAILED -> {
        WorkerMetrics.FAILED_ATTEMPTS.increment();
        LOG.infof(
            "job %s attempt %d failed (%s): %s",
            job.id(), job.attempt(), rec, ((OutcomeWriter.Failed) outcome).error());
      }
      case GIVEN_UP -> {
        // given up at a stop: the job stays listed and is re-queued
      }
    }
  }

  private void ended(boolean worked) {
    // counted before it leaves the in-flight count: whoever sees no job in flight sees its count
    (worked ? processed : failed).incrementAndGet();
    inFlight.decrementAndGet();
  }

  /** True while claiming is paused; in-flight jobs go on. */
  boolean paused() {
    return paused;
  }

  /** Stops claiming new jobs at once; see {@link #awaitPaused}. */
  void pause() {
    paused = true;
  }

  /**
   * Returns once no wait for jobs is still under way (at most one CLAIM_WAIT) after {@link #pause},
   * so nothing is claimed after it returns; a job such a wait's claim took is worked as in-flight.
   */
  void awaitPaused() {
    Instant deadline = Instant.now().plus(settings.claimWait()).plusSeconds(1);
    while (popping.get() > 0
        && Instant.now().isBefore(deadline)
        && Sleep.interruptibly(Duration.ofMillis(10))) {
      // a wait under way ends within its claim wait
    }
  }

  void resume() {
    paused = false;
  }

  /**
   * Stops claiming and waits until {@code deadline} for every claimed job's outcome to be recorded;
   * then interrupts the handlers still running (their jobs stay listed, to be re-queued) and gives
   * them 5 s more to hand their outcomes to the writer, which the worker closes once every loop has
   * stopped. False when the deadline ran out first.
   */
  boolean stop(Instant deadline) {
    stopClaiming();
    joinUntil(claimer, deadline);
    boolean finished = awaitIdle(deadline) && !claimer.isAlive();
    if (!finished) {
      claimer.interrupt();
      handlers.forEach(Thread::interrupt);
      awaitIdle(Instant.now().plusSeconds(5));
      joinUntil(claimer, Instant.now().plus(settings.claimWait()).plusSeconds(5));
    }
    runner.close();
    return finished;
  }

  /** Claims nothing more; what is in flight goes on (a worker stops all its loops so first). */
  void stopClaiming() {
    running = false;
  }

  /** Ends everything at once, recording nothing more (see {@link WorkerFaults#vanish}). */
  void abandon() {
    running = false;
    claimer.interrupt();
    writer.abandon();
    handlers.forEach(Thread::interrupt);
  }

  /** How many claimed jobs have not yet got their outcome recorded. */
  private int busy() {
    return 2 * concurrency - slots.availablePermits() - unrecorded.availablePermits();
  }

  private boolean awaitIdle(Instant deadline) {
    while (busy() > 0 && Instant.now().isBefore(deadline)) {
      if (!Sleep.interruptibly(Duration.ofMillis(10))) {
        return false;
      }
    }
    return busy() == 0;
  }

  private static void joinUntil(Thread thread, Instant deadline) {
    long millis = Duration.between(Instant.now(), deadline).toMillis();
    try {
      if (millis > 0) {
        thread.join(millis);
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }

  long inFlight() {
    return inFlight.get();
  }

  long processed() {
    return processed.get();
  }

  long failed() {
    return failed.get();
  }
}
