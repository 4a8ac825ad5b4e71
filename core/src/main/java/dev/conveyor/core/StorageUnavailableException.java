package dev.conveyor.core;

/**
 * Redis could not be reached or did not answer in time. Callers answer 503 (api) or back off and
 * retry (worker); it is never mistaken for bad input.
 */
public class StorageUnavailableException extends RuntimeException {

  public StorageUnavailableException(String message, Throwable cause) {
    super(message, cause);
  }
}
