// deno-lint-ignore-file no-console
/**
 * tvstream's only shell: parses flags, runs a command (the pipeline of
 * `run`, `produce` and `consume` is src/pipeline.ts), prints what failed,
 * and is the only place that exits.
 *
 * @module
 */
import {
  commandHelp,
  type Config,
  helpText,
  parseConfig,
} from "./src/config.ts";
import { createLogger } from "./src/log.ts";
import { runPipeline } from "./src/pipeline.ts";
import { VERSION } from "./src/version.ts";
import { preflight, readSecret } from "./src/cli/preflight.ts";
import { redact } from "./src/cli/redact.ts";
import { loadConfigScenario } from "./src/cli/scenario.ts";
import { UsageError } from "./src/errors.ts";

const EXIT_OK = 0;
const EXIT_RUNTIME = 1;
const EXIT_USAGE = 2;

async function main(args: string[]): Promise<number> {
  const debug = args.includes("--debug");
  let config: Config;
  try {
    config = parseConfig(args);
  } catch (error) {
    if (error instanceof TypeError || error instanceof RangeError) {
      console.error(`tvstream: ${error.message}`);
      console.error(`Run "tvstream --help" for usage.`);
      if (debug) console.error(error.stack);
      return EXIT_USAGE;
    }
    throw error;
  }
  if (config.version) {
    console.log(`tvstream ${VERSION}`);
    return EXIT_OK;
  }
  if (config.help) {
    const topLevel = args[0] === undefined || args[0].startsWith("-");
    console.log(topLevel ? helpText() : commandHelp(config.command));
    return EXIT_OK;
  }
  try {
    await loadConfigScenario(config);
  } catch (error) {
    if (!(error instanceof UsageError)) throw error;
    console.error(`tvstream: ${error.message}`);
    if (debug) console.error(error.stack);
    return EXIT_USAGE;
  }
  const tty = Deno.stderr.isTerminal();
  const logger = createLogger({
    format: config.output.logFormat,
    quiet: config.output.quiet,
    debug: config.output.debug,
    tty,
    color: tty && !Deno.env.get("NO_COLOR"),
  });
  try {
    // Each command loads only what it needs: the pipeline's main thread
    // stays small (faker and the Parquet libraries live in the workers).
    switch (config.command) {
      case "sample":
        return await (await import("./src/cli/sample.ts")).runSample(
          config,
          writeStdoutBytes,
        );
      case "schema":
        return await (await import("./src/cli/schema.ts")).runSchema(
          config,
          writeStdout,
        );
      case "scenario":
        return await (await import("./src/cli/scenario.ts")).runScenario(
          config,
          writeStdout,
        );
      case "inspect":
        return await (await import("./src/cli/inspect.ts")).runInspect(
          config,
          writeStdout,
        );
      case "validate":
        return await (await import("./src/cli/validate.ts")).runValidate(
          config,
          writeStdout,
        );
      case "compact":
        return await (await import("./src/cli/compact.ts")).runCompact(
          config,
          (m) => logger.log("info", m),
        );
      default: {
        await preflight(config);
        const secret = await readSecret(config);
        await runPipeline(config, logger, secret);
        return EXIT_OK;
      }
    }
  } catch (error) {
    if (error instanceof UsageError) {
      console.error(`tvstream: ${error.message}`);
      if (debug) console.error(error.stack);
      return EXIT_USAGE;
    }
    logger.clearStatus();
    const message = error instanceof Error ? error.message : String(error);
    logger.log("error", redact(message));
    if (config.output.debug && error instanceof Error) {
      console.error(redact(error.stack ?? ""));
    }
    return EXIT_RUNTIME;
  }
}

const stdoutEncoder = new TextEncoder();
async function writeStdout(text: string): Promise<void> {
  await writeStdoutBytes(stdoutEncoder.encode(text));
}

async function writeStdoutBytes(bytes: Uint8Array): Promise<void> {
  let written = 0;
  while (written < bytes.length) {
    written += await Deno.stdout.write(bytes.subarray(written));
  }
}

if (import.meta.main) {
  const code = await main(Deno.args);
  Deno.exit(code);
}
