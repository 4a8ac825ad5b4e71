package dev.conveyor.core.cluster;

import dev.conveyor.core.ClusterDirectory;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collection;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.function.Consumer;
import org.jboss.logging.Logger;
import org.jgroups.Address;
import org.jgroups.Event;
import org.jgroups.JChannel;
import org.jgroups.Message;
import org.jgroups.ObjectMessage;
import org.jgroups.Receiver;
import org.jgroups.View;
import org.jgroups.blocks.MessageDispatcher;
import org.jgroups.blocks.RequestOptions;
import org.jgroups.blocks.ResponseMode;
import org.jgroups.blocks.RspFilter;
import org.jgroups.util.NameCache;
import org.jgroups.util.Rsp;
import org.jgroups.util.RspList;

/**
 * This node's membership in the JGroups cluster, and the way members talk: join and leave, the
 * current view and its coordinator, and requests ({@link Request}) that every member answers
 * according to its role ({@link Duties}: {@link Duties#STATS}, {@link Duties#PING} and the verbs of
 * the role). {@link ClusterStack} builds the protocol stack; requests are answered for members of
 * the view only.
 */
public final class ClusterMember implements AutoCloseable {

  private static final Logger LOG = Logger.getLogger(ClusterMember.class);

  /** One member's answer: its fields, or why there is none; and the round trip. */
  public record Reply(String member, Map<String, String> fields, String error, Duration rtt) {
    public boolean ok() {
      return error == null;
    }
  }

  /** A new view, by member names: who is in it, who came, who went, who coordinates. */
  public record ViewChange(
      List<String> members, List<String> joined, List<String> left, String coordinator) {}

  private final ClusterSettings settings;
  private final ClusterDirectory directory;
  private final String nodeName;
  private final Duties duties;
  private final List<Consumer<ViewChange>> listeners = new CopyOnWriteArrayList<>();
  private final Map<Address, String> names = new ConcurrentHashMap<>();
  private volatile JChannel channel;
  private MessageDispatcher dispatcher;
  private volatile View view;

  public ClusterMember(
      ClusterSettings settings, ClusterDirectory directory, String nodeName, Duties duties) {
    this.settings = settings;
    this.directory = directory;
    this.nodeName = nodeName;
    this.duties = duties;
  }

  /** Called with every new view, on a JGroups thread: keep it short. */
  public void onViewChange(Consumer<ViewChange> listener) {
    listeners.add(listener);
  }

  /**
   * Joins the cluster: finds the members through Redis and joins the coordinator's view, or founds
   * the cluster. Throws {@link SecurityException} when the coordinator refuses this node's secret.
   */
  public synchronized void join() throws Exception {
    if (settings.secret().isEmpty()) {
      LOG.warnf(
          "CLUSTER_SECRET is not set: any process that reaches this node's cluster port can join"
              + " cluster '%s' and pause or drain workers; set it on every node",
          settings.name());
    }
    channel = new JChannel(ClusterStack.protocols(settings, directory)).name(nodeName);
    dispatcher =
        new MessageDispatcher(channel, this::handle)
            .setReceiver(
                new Receiver() {
                  @Override
                  public void viewAccepted(View newView) {
                    ClusterMember.this.viewAccepted(newView);
                  }
                });
    try {
      channel.connect(settings.name());
    } catch (Exception e) {
      channel.close();
      Throwable cause = e;
      while (cause != null && !(cause instanceof SecurityException)) {
        cause = cause.getCause();
      }
      if (cause != null) {
        throw new SecurityException(
            "cluster '"
                + settings.name()
                + "' refused "
                + nodeName
                + ": "
                + cause.getMessage()
                + "; is CLUSTER_SECRET the same on every node?",
            e);
      }
      throw e;
    }
    LOG.infof(
        "%s joined cluster '%s' at %s: %s",
        nodeName, settings.name(), physicalAddress(), members());
  }

  private void viewAccepted(View newView) {
    View old = view;
    view = newView;
    newView.getMembers().forEach(a -> names.put(a, nameOf(a)));
    List<String> joined = new ArrayList<>();
    List<String> left = new ArrayList<>();
    Address[][] diff = View.diff(old, newView);
    for (Address a : diff[0]) {
      joined.add(nameOf(a));
    }
    for (Address a : diff[1]) {
      left.add(nameOf(a));
    }
    ViewChange change =
        new ViewChange(names(newView.getMembers()), joined, left, nameOf(newView.getCoord()));
    // the names of members that left have been handed on in the change; forget them, or a long
    // life of joins and leaves would keep every address ever seen
    for (Address a : diff[1]) {
      names.remove(a);
    }
    LOG.infof(
        "%s: cluster view %s: %s%s%s",
        nodeName,
        newView.getViewId().getId(),
        change.members(),
        joined.isEmpty() || old == null ? "" : ", joined " + joined,
        left.isEmpty() ? "" : ", left " + left);
    for (Consumer<ViewChange> listener : listeners) {
      try {
        listener.accept(change);
      } catch (RuntimeException e) {
        LOG.errorf(e, "%s: a view listener failed", nodeName);
      }
    }
  }

  private Object handle(Message msg) {
    View current = view;
    if (current == null || !current.containsMember(msg.getSrc())) {
      // only members may ask: a process that was refused, or left, gets nothing
      throw new SecurityException(msg.getSrc() + " is not a member of cluster " + current);
    }
    return encode(duties.answer(msg.getObject()));
  }

  /** The host:port other members reach this node at. */
  public String physicalAddress() {
    JChannel current = channel;
    return current == null
        ? "-"
        : String.valueOf(current.down(new Event(Event.GET_PHYSICAL_ADDRESS, current.getAddress())));
  }

  public String nodeName() {
    return nodeName;
  }

  /** The names of the members of the current view, oldest (the coordinator) first. */
  public List<String> members() {
    View current = view;
    return current == null ? List.of() : names(current.getMembers());
  }

  /** The coordinator's name, once joined. */
  public Optional<String> coordinator() {
    View current = view;
    return current == null ? Optional.empty() : Optional.of(nameOf(current.getCoord()));
  }

  public boolean isCoordinator() {
    View current = view;
    JChannel open = channel;
    return current != null && open != null && current.getCoord().equals(open.getAddress());
  }

  /**
   * Asks every member, or only {@code member}, and waits up to {@code timeout} for the answers;
   * members that do not answer in time appear with an error.
   */
  public List<Reply> ask(String verb, Optional<String> member, Duration timeout) throws Exception {
    View current = view;
    if (current == null) {
      throw new IllegalStateException(nodeName + " has not joined the cluster");
    }
    List<Address> targets = new ArrayList<>();
    for (Address a : current.getMembers()) {
      if (member.isEmpty() || member.get().equals(nameOf(a))) {
        targets.add(a);
      }
    }
    if (targets.isEmpty()) {
      throw new IllegalArgumentException(
          "no member named '" + member.orElse("") + "' in " + names(current.getMembers()));
    }
    long start = System.nanoTime();
    Map<Address, Long> answeredAt = new ConcurrentHashMap<>();
    RspList<String> replies =
        dispatcher.castMessage(
            targets,
            new ObjectMessage(null, verb),
            // unicast to each target: a cast to some members would reach them all
            new RequestOptions(ResponseMode.GET_ALL, timeout.toMillis())
                .anycasting(true)
                .rspFilter(
                    new RspFilter() {
                      @Override
                      public boolean isAcceptable(Object response, Address sender) {
                        answeredAt.put(sender, System.nanoTime());
                        return true;
                      }

                      @Override
                      public boolean needMoreResponses() {
                        return true;
                      }
                    }));
    List<Reply> result = new ArrayList<>();
    for (Address target : targets) {
      Rsp<String> rsp = replies.get(target);
      Duration rtt = Duration.ofNanos(answeredAt.getOrDefault(target, System.nanoTime()) - start);
      String name = nameOf(target);
      if (rsp == null || !rsp.wasReceived()) {
        result.add(
            new Reply(name, Map.of(), "no answer within " + timeout.toMillis() + " ms", rtt));
      } else if (rsp.hasException()) {
        result.add(new Reply(name, Map.of(), rsp.getException().getMessage(), rtt));
      } else {
        result.add(new Reply(name, decode(rsp.getValue()), null, rtt));
      }
    }
    return result;
  }

  /** Leaves the view in an orderly way (others see it go at once) and closes the channel. */
  @Override
  public synchronized void close() {
    if (dispatcher != null) {
      dispatcher.stop();
      dispatcher = null;
    }
    if (channel != null) {
      channel.close();
      channel = null;
    }
    view = null;
  }

  private String nameOf(Address address) {
    String known = names.get(address);
    if (known != null) {
      return known;
    }
    String cached = NameCache.get(address);
    return cached != null ? cached : String.valueOf(address);
  }

  private List<String> names(Collection<Address> addresses) {
    return addresses.stream().map(this::nameOf).toList();
  }

  static String encode(Map<String, String> fields) {
    StringBuilder text = new StringBuilder();
    fields.forEach((k, v) -> text.append(k).append('=').append(v.replace('\n', ' ')).append('\n'));
    return text.toString();
  }

  static Map<String, String> decode(String text) {
    Map<String, String> fields = new LinkedHashMap<>();
    for (String line : text.split("\n")) {
      int eq = line.indexOf('=');
      if (eq > 0) {
        fields.put(line.substring(0, eq), line.substring(eq + 1));
      }
    }
    return fields;
  }
}
