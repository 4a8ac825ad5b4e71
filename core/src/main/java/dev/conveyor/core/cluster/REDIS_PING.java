package dev.conveyor.core.cluster;

import dev.conveyor.core.ClusterDirectory;
import dev.conveyor.core.StorageUnavailableException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;
import org.jgroups.Address;
import org.jgroups.Event;
import org.jgroups.PhysicalAddress;
import org.jgroups.View;
import org.jgroups.protocols.FILE_PING;
import org.jgroups.protocols.PingData;
import org.jgroups.stack.IpAddress;
import org.jgroups.util.NameCache;
import org.jgroups.util.Responses;
import org.jgroups.util.UUID;
import org.jgroups.util.Util;

/**
 * JGroups discovery through Redis, the way {@code FILE_PING} and {@code JDBC_PING2} use a shared
 * directory or table: every member keeps one record (its address, logical name, physical address
 * and whether it coordinates) in a {@link ClusterDirectory}. Each record expires unless its member
 * rewrites it every {@code refreshInterval}, so a member that was killed stalls nobody's start for
 * longer than {@code recordTtl}; the coordinator also drops the records of members that left its
 * view. Only the storage hooks of {@code FILE_PING} are overridden, plus a first write before the
 * first read so that members starting at the same instant find each other.
 */
public class REDIS_PING extends FILE_PING {

  /** JGroups identifies protocols by number; custom ones start at 512. */
  static final short PROTOCOL_ID = 1731;

  /** A record lives this many refresh intervals without being rewritten. */
  static final int MISSED_REFRESHES_TO_EXPIRE = 3;

  private final ClusterDirectory directory;
  private final Duration refreshInterval;
  private final Duration settle;
  private volatile boolean storageDown;
  private Future<?> refresher;

  /**
   * @param directory where the records live
   * @param refreshInterval how often this member rewrites its record
   * @param settle how long a starting member waits between writing its own record and reading the
   *     others', so that members starting together see each other and agree on a coordinator
   */
  public REDIS_PING(ClusterDirectory directory, Duration refreshInterval, Duration settle) {
    this.directory = directory;
    this.refreshInterval = refreshInterval;
    this.settle = settle;
    // our own stop removes the record; a JVM shutdown hook might run after Redis is closed
    registerShutdownHook(false);
    // always keep every member's record, not only the coordinator's
    updateStoreOnViewChange(true);
  }

  @Override
  public boolean isDynamic() {
    return true;
  }

  @Override
  protected void createRootDir() {
    // no directory: the records live in Redis
  }

  @Override
  public void start() throws Exception {
    super.start();
    long every = refreshInterval.toMillis();
    refresher =
        timer.scheduleWithFixedDelay(
            this::writeOwnRecord, every, every, TimeUnit.MILLISECONDS, true);
  }

  @Override
  public void stop() {
    if (refresher != null) {
      refresher.cancel(false);
    }
    super.stop();
  }

  @Override
  public void findMembers(List<Address> members, boolean initialDiscovery, Responses responses) {
    if (initialDiscovery) {
      // be visible before looking: two members starting together then both see both
      writeOwnRecord();
      Util.sleep(settle.toMillis());
    }
    super.findMembers(members, initialDiscovery, responses);
  }

  @Override
  protected void handleView(View newView, View oldView, boolean coordChanged) {
    learnAddresses();
    if (is_coord) {
      Address[] left = View.diff(oldView, newView)[1];
      if (left.length > 0) {
        remove(cluster_name, Set.of(left));
      }
    }
    writeOwnRecord();
  }

  @Override
  protected void readAll(List<Address> members, String clustername, Responses responses) {
    for (PingData data : readRecords(clustername)) {
      Address address = data.getAddress();
      if (address.equals(local_addr)) {
        continue;
      }
      addDiscoveryResponseToCaches(address, data.getLogicalName(), data.getPhysicalAddr());
      if (members == null || members.contains(address)) {
        responses.addResponse(data, true);
      }
    }
  }

  @Override
  protected void write(List<PingData> list, String clustername) {
    Map<String, String> records = new LinkedHashMap<>();
    for (PingData data : list) {
      records.put(id(data.getAddress()), record(data));
    }
    try {
      directory.write(
          clustername, records, refreshInterval.multipliedBy(MISSED_REFRESHES_TO_EXPIRE));
      storageAnswered();
      writes++;
    } catch (StorageUnavailableException e) {
      storageFailed(e);
    }
  }

  @Override
  protected void remove(String clustername, Address address) {
    if (clustername != null && address != null) {
      remove(clustername, Set.of(address));
    }
  }

  private void remove(String clustername, Set<Address> addresses) {
    try {
      directory.remove(
          clustername, addresses.stream().map(REDIS_PING::id).collect(Collectors.toList()));
      storageAnswered();
    } catch (StorageUnavailableException e) {
      storageFailed(e);
    }
  }

  @Override
  protected void removeAll(String clustername) {
    // never: a member starting while the records are gone would found a second cluster
  }

  /** This member's record, refreshed so it outlives the member by at most its TTL. */
  private void writeOwnRecord() {
    if (local_addr == null || cluster_name == null) {
      return;
    }
    PhysicalAddress physical =
        (PhysicalAddress) down_prot.down(new Event(Event.GET_PHYSICAL_ADDRESS, local_addr));
    if (physical == null) {
      return;
    }
    write(
        List.of(
            new PingData(local_addr, true, NameCache.get(local_addr), physical).coord(is_coord)),
        cluster_name);
  }

  /** Tells the transport where every listed member is, so a new view never lacks an address. */
  private void learnAddresses() {
    for (PingData data : readRecords(cluster_name)) {
      if (!data.getAddress().equals(local_addr)) {
        addDiscoveryResponseToCaches(
            data.getAddress(), data.getLogicalName(), data.getPhysicalAddr());
      }
    }
  }

  private List<PingData> readRecords(String clustername) {
    List<PingData> list = new ArrayList<>();
    try {
      for (String record : directory.read(clustername)) {
        PingData data = parse(record);
        if (data != null) {
          list.add(data);
        }
      }
      storageAnswered();
      reads++;
    } catch (StorageUnavailableException e) {
      storageFailed(e);
    }
    return list;
  }

  private void storageFailed(StorageUnavailableException e) {
    if (!storageDown) {
      storageDown = true;
      log.warn(
          "%s: cluster discovery cannot reach Redis (%s); members already in the view keep"
              + " talking, new ones wait until Redis is back",
          local_addr, e.getMessage());
    }
  }

  private void storageAnswered() {
    if (storageDown) {
      storageDown = false;
      log.info("%s: cluster discovery reaches Redis again", local_addr);
    }
  }

  static String id(Address address) {
    return address instanceof UUID uuid ? uuid.toStringLong() : address.toString();
  }

  /** {@code id|logical name|host:port|T or F}; the name may hold '|', the other parts cannot. */
  static String record(PingData data) {
    return id(data.getAddress())
        + "|"
        + data.getLogicalName()
        + "|"
        + data.getPhysicalAddr()
        + "|"
        + (data.isCoord() ? "T" : "F");
  }

  /** The record as PingData, or null for one that cannot be read (then it is skipped). */
  PingData parse(String record) {
    int first = record.indexOf('|');
    int last = record.lastIndexOf('|');
    int physicalStart = record.lastIndexOf('|', last - 1);
    if (first < 0 || physicalStart <= first) {
      log.warn("%s: skipping unreadable cluster record '%s'", local_addr, record);
      return null;
    }
    try {
      Address address = UUID.fromString(record.substring(0, first));
      String name = record.substring(first + 1, physicalStart);
      IpAddress physical = new IpAddress(record.substring(physicalStart + 1, last));
      return new PingData(address, true, name, physical)
          .coord("T".equals(record.substring(last + 1)));
    } catch (Exception e) {
      log.warn("%s: skipping unreadable cluster record '%s': %s", local_addr, record, e);
      return null;
    }
  }
}
