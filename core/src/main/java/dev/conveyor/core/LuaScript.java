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
 * ({@code claim-3.lua}). It runs by EVALSHA and falls back to EVAL when Redis does not know it (a
 * fresh or restarted Redis), which also loads it for the next call.
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

  static LuaScript load(String fileName) {
    try (InputStream in = LuaScript.class.getResourceAsStream("/lua/" + fileName)) {
      if (in == null) {
        throw new IllegalStateException("Lua script /lua/" + fileName + " is not on the classpath");
      }
      return new LuaScript(fileName, new String(in.readAllBytes(), StandardCharsets.UTF_8));
    } catch (IOException e) {
      throw new IllegalStateException("cannot read Lua script " + fileName, e);
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
