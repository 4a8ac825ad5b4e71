package dev.conveyor.api;

/** A wait or stream refused because this instance holds MAX_WAITERS already: 503, Retry-After. */
public final class TooManyWaitersException extends RuntimeException {

  public TooManyWaitersException(int max) {
    super(
        "this api holds "
            + max
            + " waits and streams already (MAX_WAITERS): retry, or poll GET without wait");
  }
}
