package dev.conveyor.worker;

import io.quarkus.runtime.Quarkus;
import io.quarkus.runtime.QuarkusApplication;
import io.quarkus.runtime.annotations.QuarkusMain;

/**
 * The worker jar's main: a worker node that runs until it is stopped (SIGTERM or a cluster {@code
 * drain}), or, in the {@code shell} profile ({@code QUARKUS_PROFILE=shell}), the cluster shell,
 * which ends with its input.
 */
@QuarkusMain
public class WorkerMain implements QuarkusApplication {

  private final WorkerConfig config;
  private final ShellSession shell;

  public WorkerMain(WorkerConfig config, ShellSession shell) {
    this.config = config;
    this.shell = shell;
  }

  @Override
  public int run(String... args) {
    if (config.shell()) {
      return shell.run();
    }
    Quarkus.waitForExit();
    return 0;
  }
}
