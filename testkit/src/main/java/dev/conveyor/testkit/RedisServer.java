package dev.conveyor.testkit;

/**
 * A real Redis for a test, which the test may stop, kill and start again on the same address
 * (outage tests). {@link #start()} decides where it comes from: see {@link RedisServers}.
 */
public interface RedisServer extends AutoCloseable {

  /** The connection string, {@code redis://[:password@]127.0.0.1:<port>}. */
  String url();

  int port();

  /** Stops it the polite way (SIGTERM: Redis flushes its AOF first). */
  void stop();

  /** Kills it (SIGKILL): what a crash or an OOM kill does. */
  void kill();

  /** Starts it again on the same port, with the data it had persisted. */
  void restart();

  boolean isRunning();

  /** Freezes it (SIGSTOP, or a paused container): connections stay open, nothing answers. */
  void freeze();

  /** Undoes {@link #freeze()}. */
  void thaw();

  /** Stops it for good and removes its data. */
  @Override
  void close();

  /** Where this Redis comes from, for test logs: {@code process} or {@code container}. */
  String kind();
}
