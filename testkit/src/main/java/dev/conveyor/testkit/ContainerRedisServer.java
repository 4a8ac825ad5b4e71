package dev.conveyor.testkit;

import com.github.dockerjava.api.DockerClient;
import com.github.dockerjava.api.model.ExposedPort;
import com.github.dockerjava.api.model.PortBinding;
import com.github.dockerjava.api.model.Ports;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.testcontainers.DockerClientFactory;
import org.testcontainers.containers.GenericContainer;
import org.testcontainers.containers.wait.strategy.Wait;

/**
 * Redis in a Testcontainers container, where a Docker engine answers. The host port is fixed when
 * the container is made, so that a stop and a start (an outage test) keep the same address.
 */
final class ContainerRedisServer implements RedisServer {

  private final GenericContainer<?> container;
  private final int port;
  private final String password;

  private ContainerRedisServer(GenericContainer<?> container, int port, String password) {
    this.container = container;
    this.port = port;
    this.password = password;
  }

  static boolean dockerAvailable() {
    boolean configured =
        System.getenv("DOCKER_HOST") != null
            || Files.exists(Path.of("/var/run/docker.sock"))
            || Files.exists(Path.of(System.getProperty("user.home"), ".testcontainers.properties"));
    if (!configured) {
      return false; // nothing to ask: skip Testcontainers' slow and noisy probing
    }
    try {
      return DockerClientFactory.instance().isDockerAvailable();
    } catch (RuntimeException | LinkageError e) {
      return false;
    }
  }

  @SuppressWarnings("resource") // closed by close()
  static ContainerRedisServer start(String image, String password) {
    int port = RedisServers.freePort();
    List<String> command =
        new ArrayList<>(
            List.of(
                "redis-server", "--appendonly", "yes", "--appendfsync", "always", "--save", ""));
    if (password != null) {
      command.addAll(List.of("--requirepass", password));
    }
    GenericContainer<?> container =
        new GenericContainer<>(image)
            .withExposedPorts(6379)
            .withCommand(command.toArray(String[]::new))
            .withCreateContainerCmdModifier(
                cmd ->
                    cmd.getHostConfig()
                        .withPortBindings(
                            new PortBinding(
                                Ports.Binding.bindIpAndPort("127.0.0.1", port),
                                ExposedPort.tcp(6379))))
            .waitingFor(Wait.forLogMessage(".*Ready to accept connections.*", 1));
    container.start();
    return new ContainerRedisServer(container, port, password);
  }

  private DockerClient docker() {
    return DockerClientFactory.instance().client();
  }

  @Override
  public String url() {
    return RedisServers.url(password, port);
  }

  @Override
  public int port() {
    return port;
  }

  @Override
  public void stop() {
    if (isRunning()) {
      docker().stopContainerCmd(container.getContainerId()).withTimeout(10).exec();
    }
  }

  @Override
  public void kill() {
    if (isRunning()) {
      docker().killContainerCmd(container.getContainerId()).exec();
    }
  }

  @Override
  public void restart() {
    if (!isRunning()) {
      docker().startContainerCmd(container.getContainerId()).exec();
      long deadline = System.nanoTime() + 15_000_000_000L;
      while (!RedisServers.answersPing(port, password)) {
        if (System.nanoTime() > deadline) {
          throw new IllegalStateException("restarted Redis container did not answer PING in 15 s");
        }
        Thread.onSpinWait();
      }
    }
  }

  @Override
  public void freeze() {
    docker().pauseContainerCmd(container.getContainerId()).exec();
  }

  @Override
  public void thaw() {
    docker().unpauseContainerCmd(container.getContainerId()).exec();
  }

  @Override
  public boolean isRunning() {
    Boolean running =
        docker().inspectContainerCmd(container.getContainerId()).exec().getState().getRunning();
    return Boolean.TRUE.equals(running);
  }

  @Override
  public void close() {
    container.stop();
  }

  @Override
  public String kind() {
    return "container";
  }
}
