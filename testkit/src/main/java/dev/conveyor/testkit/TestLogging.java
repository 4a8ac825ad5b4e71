package dev.conveyor.testkit;

import java.util.logging.ConsoleHandler;
import java.util.logging.Level;
import java.util.logging.Logger;
import java.util.logging.SimpleFormatter;

/**
 * Sends INFO and above to the console in plain JUnit tests (Quarkus tests configure their own), so
 * a failing cluster or janitor test shows what JGroups and the janitor saw. Once per JVM.
 */
public final class TestLogging {

  private static boolean installed;

  private TestLogging() {}

  public static synchronized void toConsole() {
    if (installed) {
      return;
    }
    installed = true;
    System.setProperty(
        "java.util.logging.SimpleFormatter.format", "%1$tT.%1$tL %4$-7s [%3$s] %5$s%6$s%n");
    ConsoleHandler handler = new ConsoleHandler();
    handler.setLevel(Level.INFO);
    handler.setFormatter(new SimpleFormatter());
    Logger root = Logger.getLogger("");
    if (root.getHandlers().length > 0) {
      return; // a logging set-up is in place already
    }
    root.setLevel(Level.INFO);
    root.addHandler(handler);
  }
}
