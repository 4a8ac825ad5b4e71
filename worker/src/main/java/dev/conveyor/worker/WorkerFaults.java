package dev.conveyor.worker;

import java.util.List;

/**
 * The one seam through which in-process tests make a worker fail the ways a real one does, without
 * a process to kill. Production code never calls it.
 */
final class WorkerFaults {

  private final List<ClaimLoop> claims;
  private final Housekeeper housekeeper;
  private final Runnable forget;

  /**
   * @param forget marks the worker as stopped, so that a later stop does nothing
   */
  WorkerFaults(List<ClaimLoop> claims, Housekeeper housekeeper, Runnable forget) {
    this.claims = claims;
    this.housekeeper = housekeeper;
    this.forget = forget;
  }

  /**
   * Ends every thread at once, without recording an outcome, re-queueing a job or leaving the
   * ledger: what a killed process looks like from outside. For tests of the janitor.
   */
  void vanish() {
    forget.run();
    claims.forEach(ClaimLoop::abandon);
    housekeeper.stop();
  }

  /**
   * Stops the ledger beats while everything else goes on: what a long GC pause or a worker cut off
   * from Redis' heartbeat looks like to the janitor. For tests of fencing.
   */
  void stopBeating() {
    housekeeper.stopBeating();
  }
}
