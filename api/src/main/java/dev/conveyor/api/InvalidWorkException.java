package dev.conveyor.api;

/** The request is not work we can accept; the message says what is wrong and what is expected. */
public class InvalidWorkException extends RuntimeException {

  private final int status;

  public InvalidWorkException(int status, String message) {
    super(message, null, false, false);
    this.status = status;
  }

  public int status() {
    return status;
  }
}
