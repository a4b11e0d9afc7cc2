/**
 * `tvstream schema`: print the event JSON Schema and the Parquet schema.
 *
 * @module
 */
import type { SchemaConfig } from "../config.ts";
import { eventJsonSchema } from "../model/event.ts";
import { parquetSchema } from "../warehouse/table.ts";
import { SCENARIO_SCHEMA } from "../world/scenario_schema.ts";

/** Prints both schemas; `--json` prints one JSON document. */
export async function runSchema(
  config: SchemaConfig,
  write: (text: string) => Promise<void>,
): Promise<number> {
  if (config.scenario) {
    await write(JSON.stringify(SCENARIO_SCHEMA, null, 2) + "\n");
    return 0;
  }
  const parquet = parquetSchema().slice(1).map((e) => ({
    name: e.name,
    type: e.logical_type?.type === "TIMESTAMP"
      ? "TIMESTAMP(MILLIS, UTC)"
      : e.converted_type === "UTF8"
      ? "STRING"
      : String(e.type),
    nullable: e.repetition_type !== "REQUIRED",
  }));
  if (config.json) {
    await write(
      JSON.stringify({ event: eventJsonSchema(), parquet }, null, 2) + "\n",
    );
    return 0;
  }
  const lines = [
    "# Event JSON Schema",
    JSON.stringify(eventJsonSchema(), null, 2),
    "",
    "# Parquet schema (one table per topic, partitioned by date=YYYY-MM-DD)",
    ...parquet.map((c) =>
      `${c.name.padEnd(24)} ${c.type.padEnd(24)} ${
        c.nullable ? "nullable" : "required"
      }`
    ),
  ];
  await write(lines.join("\n") + "\n");
  return 0;
}
