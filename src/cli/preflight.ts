/**
 * Start-up checks that turn late, obscure failures into one clear line:
 * permissions baked into a compiled binary, unwritable directories, secrets.
 *
 * @module
 */
import { join, resolve } from "node:path";
import type { PipelineConfig } from "../config.ts";

/** Env var holding the SASL password (never a flag). */
export const PASSWORD_ENV = "TVSTREAM_SASL_PASSWORD";

async function checkWritable(dir: string, flag: string): Promise<void> {
  const path = resolve(dir);
  const status = await Deno.permissions.query({ name: "write", path });
  if (status.state !== "granted") {
    throw new Error(
      `Cannot write to "${path}" (${flag}): this tvstream lacks --allow-write for that path`,
    );
  }
  try {
    await Deno.mkdir(path, { recursive: true });
    const probe = join(path, `.tvstream-probe-${crypto.randomUUID()}`);
    await Deno.writeFile(probe, new Uint8Array());
    await Deno.remove(probe);
  } catch (error) {
    const reason = error instanceof Error ? error.message : String(error);
    throw new Error(
      `Cannot write to ${flag} "${path}": ${reason}`,
      { cause: error },
    );
  }
}

/** Checks that the warehouse and checkpoint directories can be written. */
export async function preflight(config: PipelineConfig): Promise<void> {
  if (config.command !== "produce") {
    await checkWritable(config.sink.warehouse, "--warehouse");
  }
  if (config.command !== "produce" || config.kafka) {
    await checkWritable(config.sink.checkpoint, "--checkpoint");
  }
}

/** Reads the SASL password from the environment or the password file. */
export async function readSecret(
  config: Pick<PipelineConfig, "kafka">,
): Promise<string | undefined> {
  const kafka = config.kafka;
  if (!kafka?.saslMechanism) return undefined;
  if (kafka.saslPasswordFile) {
    try {
      return (await Deno.readTextFile(kafka.saslPasswordFile)).trim();
    } catch (error) {
      const reason = error instanceof Error ? error.message : String(error);
      throw new Error(
        `Cannot read --sasl-password-file "${kafka.saslPasswordFile}": ${reason}`,
        { cause: error },
      );
    }
  }
  const fromEnv = Deno.env.get(PASSWORD_ENV);
  if (!fromEnv) {
    throw new Error(
      `Missing SASL password: set ${PASSWORD_ENV} or pass --sasl-password-file`,
    );
  }
  return fromEnv;
}
