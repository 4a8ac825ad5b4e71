package dev.conveyor.core;

import io.smallrye.mutiny.Uni;
import io.vertx.mutiny.redis.client.Command;
import io.vertx.mutiny.redis.client.Redis;
import io.vertx.mutiny.redis.client.Request;
import io.vertx.mutiny.redis.client.Response;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.List;

/**
 * One Lua script of {@code src/main/resources/lua/}, named after its transition and key count
 * ({@code claim-4.lua}). A line {@code --@include <name>} is replaced by {@code
 * lua/includes/<name>.lua} when the script is loaded (shared preludes such as {@code now_ms}, with
 * no build step; {@code bench/lib/bench.py} expands them the same way). It runs by EVALSHA and
 * falls back to EVAL when Redis does not know it (a fresh or restarted Redis), which also loads it
 * for the next call.
 */
final class LuaScript {

  private final String name;
  private final String source;
  private final String sha;
  private final int keyCount;

  private LuaScript(String name, String source) {
    this.name = name;
    this.source = source;
    this.sha = sha1(source);
    this.keyCount = Integer.parseInt(name.substring(name.lastIndexOf('-') + 1, name.indexOf('.')));
  }

  /** What marks a line to be replaced by a shared file of {@code lua/includes/}. */
  static final String INCLUDE = "--@include ";

  static LuaScript load(String fileName) {
    return new LuaScript(fileName, expand(read(fileName)));
  }

  /** The script's text with each include line replaced by its file (includes do not nest). */
  static String expand(String source) {
    StringBuilder text = new StringBuilder(source.length() + 512);
    for (String line : source.split("\n", -1)) {
      if (line.startsWith(INCLUDE)) {
        text.append(read("includes/" + line.substring(INCLUDE.length()).strip() + ".lua"));
      } else {
        text.append(line).append('\n');
      }
    }
    return text.toString();
  }

  private static String read(String path) {
    try (InputStream in = LuaScript.class.getResourceAsStream("/lua/" + path)) {
      if (in == null) {
        throw new IllegalStateException("Lua script /lua/" + path + " is not on the classpath");
      }
      return new String(in.readAllBytes(), StandardCharsets.UTF_8);
    } catch (IOException e) {
      throw new IllegalStateException("cannot read Lua script " + path, e);
    }
  }

  String name() {
    return name;
  }

  Uni<Response> run(Redis redis, List<String> keys, List<String> args) {
    if (keys.size() != keyCount) {
      throw new IllegalArgumentException(name + " takes " + keyCount + " keys, got " + keys.size());
    }
    return redis
        .send(request(Command.EVALSHA, sha, keys, args))
        .onFailure(LuaScript::isNoScript)
        .recoverWithUni(() -> redis.send(request(Command.EVAL, source, keys, args)));
  }

  /**
   * As {@link #run(Redis, List, List)}, then, when {@code durability} asks for replicas, {@code
   * WAIT} on the same connection (a batch): the script's answer once enough replicas have its
   * writes, else a {@link StorageUnavailableException}.
   */
  Uni<Response> run(Redis redis, List<String> keys, List<String> args, Durability durability) {
    if (!durability.waits()) {
      return run(redis, keys, args);
    }
    Request wait =
        Request.cmd(Command.WAIT).arg(durability.replicas()).arg(durability.timeout().toMillis());
    return redis
        .batch(List.of(request(Command.EVALSHA, sha, keys, args), wait))
        // a batch reports its first error as "ERR [<index>] <error>"
        .onFailure(f -> f.getMessage() != null && f.getMessage().startsWith("ERR [0] NOSCRIPT"))
        .recoverWithUni(() -> redis.batch(List.of(request(Command.EVAL, source, keys, args), wait)))
        .map(
            replies -> {
              long confirmed = replies.get(1).toLong();
              if (confirmed < durability.replicas()) {
                throw new StorageUnavailableException(
                    name
                        + ": "
                        + confirmed
                        + " of REDIS_WAIT_REPLICAS="
                        + durability.replicas()
                        + " replicas confirmed within "
                        + durability.timeout().toMillis()
                        + " ms",
                    null);
              }
              return replies.get(0);
            });
  }

  private static Request request(
      Command command, String script, List<String> keys, List<String> args) {
    Request request = Request.cmd(command).arg(script).arg(keys.size());
    keys.forEach(request::arg);
    args.forEach(request::arg);
    return request;
  }

  private static boolean isNoScript(Throwable failure) {
    return failure.getMessage() != null && failure.getMessage().startsWith("NOSCRIPT");
  }

  private static String sha1(String text) {
    try {
      return HexFormat.of()
          .formatHex(
              MessageDigest.getInstance("SHA-1").digest(text.getBytes(StandardCharsets.UTF_8)));
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException("every Java runtime ships SHA-1", e);
    }
  }
}
