package dev.conveyor.core.cluster;

import dev.conveyor.core.ClusterDirectory;
import java.net.InetAddress;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.jgroups.conf.ClassConfigurator;
import org.jgroups.protocols.AUTH;
import org.jgroups.protocols.FD_ALL3;
import org.jgroups.protocols.FD_SOCK2;
import org.jgroups.protocols.FRAG4;
import org.jgroups.protocols.MERGE3;
import org.jgroups.protocols.MFC;
import org.jgroups.protocols.TCP;
import org.jgroups.protocols.UFC;
import org.jgroups.protocols.UNICAST3;
import org.jgroups.protocols.VERIFY_SUSPECT2;
import org.jgroups.protocols.pbcast.GMS;
import org.jgroups.protocols.pbcast.NAKACK2;
import org.jgroups.protocols.pbcast.STABLE;
import org.jgroups.stack.Protocol;
import org.jgroups.util.StackType;
import org.jgroups.util.Util;

/**
 * The JGroups protocol stack every member runs: TCP with discovery in Redis ({@link REDIS_PING}),
 * crash detection by closed sockets (FD_SOCK2) and missed heartbeats (FD_ALL3), split views merged
 * by MERGE3, and, with a secret, joins and merges authenticated (AUTH with {@link
 * ClusterSecretToken}). Traffic is not encrypted (see the limits in {@code docs/design/cluster.md},
 * with the timings).
 */
final class ClusterStack {

  /** How many ports above CLUSTER_PORT are tried, so several members can share a host. */
  public static final int PORT_RANGE = 50;

  /** A member that sends neither messages nor heartbeats for this long is suspected. */
  static final Duration SILENCE_SUSPECTED = Duration.ofSeconds(6);

  /** How long a suspicion is checked before the member is excluded. */
  static final Duration SUSPICION_CHECK = Duration.ofMillis(500);

  /** How long a connection to a member may take before that member counts as unreachable. */
  static final Duration CONNECT_TIMEOUT = Duration.ofMillis(500);

  private static final short TOKEN_MAGIC = 1732;

  static {
    ClassConfigurator.addProtocol(REDIS_PING.PROTOCOL_ID, REDIS_PING.class);
    ClassConfigurator.add(TOKEN_MAGIC, ClusterSecretToken.class);
  }

  private ClusterStack() {}

  static List<Protocol> protocols(ClusterSettings settings, ClusterDirectory directory)
      throws Exception {
    InetAddress bindAddress = Util.getAddress(settings.bindAddress(), StackType.IPv4);
    TCP tcp = new TCP();
    tcp.setBindAddress(bindAddress);
    tcp.setBindPort(settings.port());
    tcp.setPortRange(settings.port() == 0 ? 0 : PORT_RANGE);
    // a member's address can vanish with it (a killed container takes its IP along): a connect
    // then hangs unanswered instead of being refused, and every send to the dead member (the
    // suspicion, its check, the new view) would wait out JGroups' 2 s default. A LAN connects in
    // well under a millisecond
    tcp.setSockConnTimeout((int) CONNECT_TIMEOUT.toMillis());
    if (settings.externalAddress().isPresent()) {
      tcp.setExternalAddr(InetAddress.getByName(settings.externalAddress().get()));
    }
    if (settings.externalPort() > 0) {
      tcp.setExternalPort(settings.externalPort());
    }
    List<Protocol> stack = new ArrayList<>();
    stack.add(tcp);
    stack.add(new REDIS_PING(directory, settings.discoveryRefresh(), Duration.ofMillis(300)));
    // a split (a partition healed, members that founded a cluster each) is merged in seconds
    stack.add(new MERGE3().setMinInterval(300).setMaxInterval(1000).setCheckInterval(1600));
    // a killed process closes its sockets: suspected at once; a lost host by silence. Its server
    // socket binds where the transport does (left alone, it listens on every interface)
    FD_SOCK2 sockets = new FD_SOCK2().setBindAddress(bindAddress);
    sockets.setValue("connect_timeout", (int) CONNECT_TIMEOUT.toMillis());
    stack.add(sockets);
    stack.add(new FD_ALL3().setTimeout(SILENCE_SUSPECTED.toMillis()).setInterval(1000));
    stack.add(new VERIFY_SUSPECT2().setTimeout(SUSPICION_CHECK.toMillis()));
    stack.add(new NAKACK2().useMcastXmit(false));
    stack.add(new UNICAST3());
    stack.add(new STABLE());
    if (settings.secret().isPresent()) {
      AUTH auth = new AUTH();
      ClusterSecretToken token = new ClusterSecretToken(settings.name(), settings.secret().get());
      token.setAuth(auth);
      stack.add(auth.setAuthToken(token));
    }
    stack.add(new GMS().setJoinTimeout(2000).setLeaveTimeout(1000).printLocalAddress(false));
    stack.add(new MFC());
    stack.add(new UFC());
    stack.add(new FRAG4());
    return stack;
  }
}
