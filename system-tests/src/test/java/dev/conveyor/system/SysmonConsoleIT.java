package dev.conveyor.system;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.ObjectMapper;
import dev.conveyor.testkit.RedisServer;
import dev.conveyor.testkit.RedisServers;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.openqa.selenium.By;
import org.openqa.selenium.Dimension;
import org.openqa.selenium.JavascriptExecutor;
import org.openqa.selenium.OutputType;
import org.openqa.selenium.WebDriver;
import org.openqa.selenium.chrome.ChromeDriver;
import org.openqa.selenium.chrome.ChromeDriverService;
import org.openqa.selenium.chrome.ChromeOptions;
import org.openqa.selenium.support.ui.WebDriverWait;

/**
 * Sysmon's page in a real headless Chromium (Debian's chromium and chromedriver, no download),
 * against real processes: it lists the running worker, shows a job submitted during the test and
 * turns it {@code worked} without a reload, refuses an action without the token, and leaves a
 * screenshot in {@code docs/images/sysmon.png}.
 */
class SysmonConsoleIT {

  private static final ObjectMapper JSON = new ObjectMapper();

  /** Sysmon over this Redis, looking twice a second, with these settings besides. */
  private static Service sysmon(RedisServer redis, Map<String, String> more)
      throws java.io.IOException {
    Map<String, String> env = new java.util.HashMap<>(more);
    env.put("REDIS_URL", redis.url());
    env.put("NODE_NAME", "sysmon@browser");
    env.put("SYSMON_INTERVAL", "500ms");
    return Service.start("sysmon", RedisServers.freePort(), env);
  }

  /** Debian's headless Chromium through its chromedriver. */
  private static WebDriver browser() {
    ChromeOptions options = new ChromeOptions();
    options.setBinary("/usr/bin/chromium");
    options.addArguments(
        "--headless=new", "--no-sandbox", "--disable-dev-shm-usage", "--window-size=1400,1800");
    ChromeDriverService service =
        new ChromeDriverService.Builder()
            .usingDriverExecutable(Path.of("/usr/bin/chromedriver").toFile())
            .usingAnyFreePort()
            .build();
    return new ChromeDriver(service, options);
  }

  @Test
  void aTokenTypedIntoThePagePausesAWorkerAndItsButtonsFollowItsState() throws Exception {
    try (RedisServer redis = RedisServers.start();
        Service worker =
            Service.start(
                "worker",
                RedisServers.freePort(),
                Map.of("REDIS_URL", redis.url(), "NODE_NAME", "worker-2@browser"));
        Service sysmon = sysmon(redis, Map.of("SYSMON_TOKEN", "typed in the page"))) {
      WebDriver browser = browser();
      try {
        WebDriverWait wait = new WebDriverWait(browser, Duration.ofSeconds(20));
        wait.ignoring(org.openqa.selenium.StaleElementReferenceException.class);
        browser.get("http://127.0.0.1:" + sysmon.port() + "/");
        By pause = By.cssSelector("button[data-worker='worker-2@browser'][data-action='pause']");
        By resume = By.cssSelector("button[data-worker='worker-2@browser'][data-action='resume']");
        By state = By.cssSelector("tr[data-node='worker-2@browser'] td:nth-child(4)");
        By inView = By.cssSelector("tr[data-node='worker-2@browser'] td:nth-child(10)");
        // sysmon asks the worker over the cluster: both must be in one view first
        wait.until(d -> d.findElement(inView).getText().equals("yes"));
        wait.until(d -> !d.findElements(pause).isEmpty());
        assertTrue(browser.findElements(resume).isEmpty(), "no resume on a running worker");
        assertTrue(browser.findElement(By.id("token")).isDisplayed(), "a field for the token");
        browser.findElement(By.id("token")).sendKeys("typed in the page");
        wait.until(
            d -> {
              d.findElement(pause).click();
              return true;
            });
        wait.until(d -> d.findElement(state).getText().equals("paused"));
        try {
          wait.until(d -> !d.findElements(resume).isEmpty() && d.findElements(pause).isEmpty());
        } catch (RuntimeException e) {
          throw new AssertionError(
              browser
                      .findElement(By.cssSelector("tr[data-node='worker-2@browser']"))
                      .getAttribute("outerHTML")
                  + "\n"
                  + worker.log(),
              e);
        }
        assertTrue(
            browser.getCurrentUrl().indexOf("typed") < 0, "the token never goes into the URL");
        // the nodes keep their order between updates: by role, then name
        String first = firstNode(browser);
        String updated = browser.findElement(By.id("updated")).getText();
        wait.until(d -> !d.findElement(By.id("updated")).getText().equals(updated));
        assertEquals(first, firstNode(browser));
        assertEquals("sysmon@browser", first, "sysmon's role sorts before worker");
        // the charts have their axes (values from 0 to a round maximum, time up to now) and say
        // their newest value
        for (String chart : List.of("chart-depth", "chart-rate")) {
          List<String> values = texts(browser, "#" + chart + " .ylabel");
          assertEquals(2, values.size(), chart + " value axis: " + values);
          assertEquals("0", values.get(1), chart);
          assertTrue(values.get(0).matches("(1|2|5)0*"), chart + " top: " + values.get(0));
          List<String> times = texts(browser, "#" + chart + " .xlabel");
          assertEquals(List.of("10 min ago", "now"), times, chart + " time axis");
          String now = texts(browser, "#" + chart + "-now").get(0);
          assertTrue(now.matches("[0-9]+(\\.[0-9])?"), chart + " newest value: " + now);
        }
      } finally {
        browser.quit();
      }
    }
  }

  @Test
  void thePageListsWorkersAndFollowsAJobLiveAndRefusesActionsWithoutAToken() throws Exception {
    try (RedisServer redis = RedisServers.start();
        Service api =
            Service.start(
                "api",
                RedisServers.freePort(),
                Map.of("REDIS_URL", redis.url(), "NODE_NAME", "api-1@browser"));
        Service worker =
            Service.start(
                "worker",
                RedisServers.freePort(),
                Map.of(
                    "REDIS_URL",
                    redis.url(),
                    "NODE_NAME",
                    "worker-1@browser",
                    "WORK_DURATION",
                    "2s"));
        Service sysmon = sysmon(redis, Map.of())) {
      WebDriver browser = browser();
      try {
        // the page redraws its tables at every update: an element may go stale between two calls
        // the page redraws its tables on every report: an element found may be replaced at once
        WebDriverWait wait = new WebDriverWait(browser, Duration.ofSeconds(15));
        wait.ignoring(org.openqa.selenium.StaleElementReferenceException.class);
        wait.ignoring(org.openqa.selenium.StaleElementReferenceException.class);
        browser.get("http://127.0.0.1:" + sysmon.port() + "/");
        wait.until(d -> d.findElement(By.id("redis")).getText().equals("up"));
        wait.until(
            d -> !d.findElements(By.cssSelector("tr[data-node='worker-1@browser']")).isEmpty());
        String row =
            wait.until(
                d -> d.findElement(By.cssSelector("tr[data-node='worker-1@browser']")).getText());
        assertTrue(row.contains("worker") && row.contains("running"), row);

        String id =
            JSON.readTree(api.post("/api/v1/work", "{\"data\":\"watched in a browser\"}").body())
                .get("callback")
                .asText();
        By status = By.cssSelector("#jobs tr[data-id='" + id + "'] td.status");
        wait.until(d -> !d.findElements(status).isEmpty());
        wait.until(d -> d.findElement(status).getText().equals("worked"));

        // no token configured: the page says actions are disabled, and the API refuses them
        wait.until(
            d -> {
              d.findElement(
                      By.cssSelector("button[data-worker='worker-1@browser'][data-action='pause']"))
                  .click();
              return true;
            });
        wait.until(d -> d.findElement(By.id("notice")).getText().contains("Actions are disabled"));
        // the next report (about every second) redraws the page but keeps the action's notice
        String updated = browser.findElement(By.id("updated")).getText();
        wait.until(d -> !d.findElement(By.id("updated")).getText().equals(updated));
        assertTrue(
            browser.findElement(By.id("notice")).getText().contains("Actions are disabled"),
            "a report keeps the notice of the action before it");
        assertEquals(
            403,
            Endpoint.at(sysmon.port())
                .post("/api/workers/worker-1@browser/pause", "")
                .statusCode());

        browser.manage().window().setSize(new Dimension(1400, 1100));
        Path shot =
            ((org.openqa.selenium.TakesScreenshot) browser)
                .getScreenshotAs(OutputType.FILE)
                .toPath();
        Path target = Path.of(System.getProperty("conveyor.screenshots"), "sysmon.png");
        Files.createDirectories(target.getParent());
        Files.copy(shot, target, StandardCopyOption.REPLACE_EXISTING);
        assertTrue(Files.size(target) > 10_000, "a real screenshot");
      } finally {
        browser.quit();
      }
    }
  }

  /**
   * The texts of what {@code selector} matches, read in one script run: the page redraws its charts
   * every update, so elements found one call earlier may already be replaced.
   */
  @SuppressWarnings("unchecked")
  private static List<String> texts(WebDriver browser, String selector) {
    return (List<String>)
        ((JavascriptExecutor) browser)
            .executeScript(
                "return Array.from(document.querySelectorAll(arguments[0]),"
                    + " e => e.textContent.trim())",
                selector);
  }

  private static String firstNode(WebDriver browser) {
    return (String)
        ((JavascriptExecutor) browser)
            .executeScript(
                "return document.querySelector('#nodes tbody tr').getAttribute('data-node')");
  }
}
