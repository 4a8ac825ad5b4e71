package dev.conveyor.core;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;

/** How scripts are loaded: their includes inlined, their key count read from their name. */
class LuaScriptTest {

  private static final Path SCRIPTS = Path.of("src/main/resources/lua");

  private static List<String> scripts() throws IOException {
    try (Stream<Path> files = Files.list(SCRIPTS)) {
      return files
          .map(p -> p.getFileName().toString())
          .filter(n -> n.endsWith(".lua"))
          .sorted()
          .toList();
    }
  }

  @Test
  void everyScriptLoadsWithItsIncludesInlinedAndNoClockCodeOfItsOwn() throws IOException {
    List<String> names = scripts();
    assertTrue(names.size() >= 15, names.toString());
    for (String name : names) {
      String source = Files.readString(SCRIPTS.resolve(name));
      String expanded = LuaScript.expand(source);
      assertFalse(expanded.contains(LuaScript.INCLUDE), name + " keeps an include line");
      assertFalse(
          source.contains("redis.call('TIME')"), name + " reads the clock itself: use now_ms");
      if (source.contains("now_ms(")) {
        assertTrue(expanded.contains("local function now_ms()"), name + " lacks the prelude");
      }
      assertEquals(name, LuaScript.load(name).name());
    }
  }

  @Test
  void anIncludeThatDoesNotExistIsNamedInTheError() {
    IllegalStateException missing =
        assertThrows(
            IllegalStateException.class, () -> LuaScript.expand("--@include no_such_prelude\n"));
    assertTrue(missing.getMessage().contains("includes/no_such_prelude.lua"), missing.getMessage());
  }
}
