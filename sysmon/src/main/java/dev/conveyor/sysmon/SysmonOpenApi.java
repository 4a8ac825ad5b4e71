package dev.conveyor.sysmon;

import java.util.List;
import java.util.Map;
import org.eclipse.microprofile.openapi.OASFilter;
import org.eclipse.microprofile.openapi.models.OpenAPI;
import org.eclipse.microprofile.openapi.models.media.Schema;

/**
 * What the annotations cannot say about types sysmon shares with core: which fields are {@code
 * null} when there is nothing to tell (a Redis that answers has no error, a job that never failed
 * no last error). Registered by {@code mp.openapi.filter}; SysmonOpenApiContractTest holds the
 * document to real answers.
 */
public class SysmonOpenApi implements OASFilter {

  private static final Map<String, List<String>> NULLABLE =
      Map.of("RedisState", List.of("error"), "Job", List.of("lastError"));

  @Override
  public void filterOpenAPI(OpenAPI openApi) {
    Map<String, Schema> schemas = openApi.getComponents().getSchemas();
    NULLABLE.forEach(
        (name, fields) -> {
          Schema schema = schemas.get(name);
          if (schema == null) {
            throw new IllegalStateException("no schema " + name + " in sysmon's OpenAPI document");
          }
          for (String field : fields) {
            schema.getProperties().get(field).addType(Schema.SchemaType.NULL);
          }
        });
  }
}
