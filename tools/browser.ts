/**
 * Headless Chromium driven over the DevTools protocol (a WebSocket, no
 * dependency), for the dashboard's browser test and the bench: loads a
 * page, records console errors and every request the page makes,
 * evaluates expressions and takes screenshots.
 *
 * @module
 */

/** Where Debian's `chromium` package puts the browser. */
const CANDIDATES = ["chromium", "chromium-browser", "google-chrome"];

/** The browser's executable, or undefined when none is installed. */
export async function findChromium(): Promise<string | undefined> {
  for (const name of CANDIDATES) {
    try {
      const out = await new Deno.Command("which", {
        args: [name],
        stdout: "piped",
        stderr: "null",
      }).output();
      if (out.success) return new TextDecoder().decode(out.stdout).trim();
    } catch {
      // `which` missing: try the next name the same way.
    }
  }
  return undefined;
}

interface Pending {
  resolve: (value: Record<string, unknown>) => void;
  reject: (error: Error) => void;
}

/** One page in a headless Chromium. */
export class Browser {
  /** Console errors, uncaught exceptions and failed loads, as text. */
  readonly errors: string[] = [];
  /** Every URL the page requested. */
  readonly requests: string[] = [];
  readonly #child: Deno.ChildProcess;
  readonly #socket: WebSocket;
  readonly #profile: string;
  readonly #pending = new Map<number, Pending>();
  readonly #waiters = new Map<string, () => void>();
  #session = "";
  #nextId = 1;

  private constructor(
    child: Deno.ChildProcess,
    socket: WebSocket,
    profile: string,
  ) {
    this.#child = child;
    this.#socket = socket;
    this.#profile = profile;
    socket.onmessage = (e) => this.#onMessage(JSON.parse(e.data));
  }

  /** Starts Chromium with a fresh profile and opens a blank page. */
  static async launch(executable: string): Promise<Browser> {
    const profile = await Deno.makeTempDir({ prefix: "tvstream-chromium-" });
    const child = new Deno.Command(executable, {
      args: [
        "--headless=new",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-dev-shm-usage",
        "--no-first-run",
        "--no-default-browser-check",
        "--disable-background-networking",
        "--disable-component-update",
        "--remote-debugging-port=0",
        `--user-data-dir=${profile}`,
        "about:blank",
      ],
      stdin: "null",
      stdout: "null",
      stderr: "piped",
    }).spawn();
    const url = await devtoolsUrl(child.stderr);
    const socket = new WebSocket(url);
    await new Promise((resolve, reject) => {
      socket.onopen = resolve;
      socket.onerror = () => reject(new Error(`cannot connect to ${url}`));
    });
    const browser = new Browser(child, socket, profile);
    await browser.#attach();
    return browser;
  }

  async #attach(): Promise<void> {
    const { targetId } = await this.send("Target.createTarget", {
      url: "about:blank",
    });
    const { sessionId } = await this.send("Target.attachToTarget", {
      targetId,
      flatten: true,
    });
    this.#session = sessionId as string;
    for (const domain of ["Page", "Runtime", "Log", "Network"]) {
      await this.send(`${domain}.enable`);
    }
  }

  /** Sends a DevTools command (to the page once attached); resolves with its result. */
  send(
    method: string,
    params: Record<string, unknown> = {},
  ): Promise<Record<string, unknown>> {
    const id = this.#nextId++;
    const message: Record<string, unknown> = { id, method, params };
    if (this.#session && !method.startsWith("Target.")) {
      message["sessionId"] = this.#session;
    }
    return new Promise((resolve, reject) => {
      this.#pending.set(id, { resolve, reject });
      this.#socket.send(JSON.stringify(message));
    });
  }

  #onMessage(m: Record<string, unknown>): void {
    if (typeof m["id"] === "number") {
      const p = this.#pending.get(m["id"]);
      this.#pending.delete(m["id"]);
      const error = m["error"] as { message: string } | undefined;
      if (error) p?.reject(new Error(error.message));
      else p?.resolve((m["result"] ?? {}) as Record<string, unknown>);
      return;
    }
    const params = (m["params"] ?? {}) as Record<string, unknown>;
    const method = m["method"] as string;
    this.#record(method, params);
    this.#waiters.get(method)?.();
  }

  #record(method: string, params: Record<string, unknown>): void {
    switch (method) {
      case "Runtime.consoleAPICalled":
        if (params["type"] === "error" || params["type"] === "assert") {
          const args = params["args"] as { value?: unknown }[];
          this.errors.push(`console: ${args.map((a) => a.value).join(" ")}`);
        }
        break;
      case "Runtime.exceptionThrown":
        this.errors.push(
          `exception: ${JSON.stringify(params["exceptionDetails"])}`,
        );
        break;
      case "Log.entryAdded": {
        const entry = params["entry"] as { level: string; text: string };
        if (entry.level === "error") this.errors.push(`log: ${entry.text}`);
        break;
      }
      case "Network.requestWillBeSent":
        this.requests.push((params["request"] as { url: string }).url);
        break;
      case "Network.loadingFailed":
        if (!params["canceled"]) {
          this.errors.push(`load failed: ${params["errorText"]}`);
        }
        break;
    }
  }

  /** Loads `url` and waits for its load event. */
  async open(url: string): Promise<void> {
    const loaded = new Promise<void>((resolve) =>
      this.#waiters.set("Page.loadEventFired", resolve)
    );
    await this.send("Page.navigate", { url });
    await loaded;
  }

  /** Evaluates `expression` in the page; returns its value. */
  async evaluate<T>(expression: string): Promise<T> {
    const r = await this.send("Runtime.evaluate", {
      expression,
      returnByValue: true,
      awaitPromise: true,
    });
    if (r["exceptionDetails"]) {
      throw new Error(
        `evaluate failed: ${JSON.stringify(r["exceptionDetails"])}`,
      );
    }
    return (r["result"] as { value: T }).value;
  }

  /** Sets the viewport and the colour scheme the page sees. */
  async emulate(
    width: number,
    height: number,
    scheme: "light" | "dark",
  ): Promise<void> {
    await this.send("Emulation.setDeviceMetricsOverride", {
      width,
      height,
      deviceScaleFactor: 1,
      mobile: false,
    });
    await this.send("Emulation.setEmulatedMedia", {
      features: [{ name: "prefers-color-scheme", value: scheme }],
    });
  }

  /** A PNG of the whole page. */
  async screenshot(): Promise<Uint8Array> {
    const r = await this.send("Page.captureScreenshot", {
      format: "png",
      captureBeyondViewport: true,
    });
    return Uint8Array.from(atob(r["data"] as string), (c) => c.charCodeAt(0));
  }

  /** Closes the browser and removes its profile. */
  async close(): Promise<void> {
    this.#socket.close();
    try {
      this.#child.kill("SIGKILL");
    } catch { /* already gone */ }
    await this.#child.stderr.cancel().catch(() => {});
    await this.#child.status;
    await Deno.remove(this.#profile, { recursive: true }).catch(() => {});
  }
}

/** Reads Chromium's stderr until it prints its DevTools address. */
async function devtoolsUrl(
  stderr: ReadableStream<Uint8Array>,
): Promise<string> {
  const reader = stderr.pipeThrough(new TextDecoderStream()).getReader();
  let text = "";
  const timeout = setTimeout(() => reader.cancel(), 30_000);
  try {
    for (;;) {
      const { value, done } = await reader.read();
      if (done) break;
      text += value;
      const m = /DevTools listening on (ws:\/\/\S+)/.exec(text);
      if (m) {
        // Keep draining stderr so that Chromium never blocks writing it.
        (async () => {
          while (!(await reader.read().catch(() => ({ done: true }))).done);
        })();
        return m[1]!;
      }
    }
  } finally {
    clearTimeout(timeout);
  }
  throw new Error(`chromium did not start: ${text.slice(-500)}`);
}
