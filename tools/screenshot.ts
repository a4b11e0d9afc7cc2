/**
 * Refreshes the README's dashboard screenshots: runs a paced prime-time
 * backfill with the live view on, lets a minute of history build up, and
 * saves the page in light and dark mode to docs/img/.
 *
 * Usage: deno run -A tools/screenshot.ts [SECONDS]
 *
 * @module
 */
import { spawnTvstream } from "./tvstream_cli.ts";
import { Browser, findChromium } from "./browser.ts";
import { freePort } from "./net.ts";

const seconds = Number(Deno.args[0] ?? 60);
const out = new URL("../docs/img/", import.meta.url).pathname;
const chromium = await findChromium();
if (!chromium) throw new Error("chromium is not installed");
const dir = await Deno.makeTempDir({ prefix: "tvstream-screenshot-" });
const port = freePort();
const run = spawnTvstream([
  "run",
  "--from",
  "2026-11-02T19:30:00Z",
  "--households",
  "6000",
  "--rate",
  "2500",
  "--duration",
  String(seconds + 30),
  "--http",
  `127.0.0.1:${port}`,
  "--quiet",
], { cwd: dir });
const browser = await Browser.launch(chromium);
try {
  await new Promise((r) => setTimeout(r, seconds * 1000));
  await browser.emulate(1280, 900, "light");
  await browser.open(`http://127.0.0.1:${port}/`);
  await new Promise((r) => setTimeout(r, 2500));
  await Deno.writeFile(`${out}dashboard.png`, await browser.screenshot());
  await browser.emulate(1280, 900, "dark");
  await new Promise((r) => setTimeout(r, 1500));
  await Deno.writeFile(`${out}dashboard-dark.png`, await browser.screenshot());
  if (browser.errors.length) throw new Error(browser.errors.join("\n"));
  console.log(`wrote ${out}dashboard.png and dashboard-dark.png`);
} finally {
  await browser.close();
  run.kill("SIGTERM");
  await run.status;
  await run.stderr.cancel().catch(() => {});
  await Deno.remove(dir, { recursive: true });
}
