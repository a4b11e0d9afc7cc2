/**
 * The live view's HTTP server (Deno.serve): the dashboard page and its
 * assets (embedded in the binary through text imports), `/api/stats`,
 * Server-Sent Events on `/api/events`, `/metrics` for Prometheus, and
 * `POST /api/incidents` to start an incident on a running stream.
 * Nothing it serves asks the browser for anything beyond this server.
 *
 * @module
 */
import type { HttpSettings } from "../config.ts";
import { METRICS_CONTENT_TYPE, renderMetrics } from "./metrics.ts";
import type { LiveSnapshot, LiveState } from "./state.ts";
import { ASSETS } from "./assets.ts";

/** Open event streams, with how each stops listening to the state. */
type Streams = Map<ReadableStreamDefaultController<Uint8Array>, () => void>;

/** How many ports after the default one are tried when it is taken. */
const PORT_TRIES = 50;

/** Security headers of every response: only this origin, no framing. */
const HEADERS = {
  "content-security-policy":
    "default-src 'none'; script-src 'self'; style-src 'self'; connect-src 'self'; img-src 'self' data:; base-uri 'none'; form-action 'none'; frame-ancestors 'none'",
  "x-content-type-options": "nosniff",
  "referrer-policy": "no-referrer",
  "cache-control": "no-store",
};

/** Starts an incident from its `--incident` text: the status and what to answer. */
export type IncidentTrigger = (
  spec: string,
) => { status: 202 | 400 | 409; body: Record<string, unknown> };

/** A running live-view server. */
export interface LiveServer {
  /** The page's address, e.g. `http://127.0.0.1:8787/`. */
  url: string;
  /** Ends every event stream and stops listening. */
  close(): Promise<void>;
}

/** Whether `host` only accepts connections from this machine. */
export function isLoopback(host: string): boolean {
  return host === "localhost" || host === "::1" || host.startsWith("127.");
}

/**
 * Starts the server on `settings`; a default port that is taken moves to
 * the next free one, a port named with `--http` fails with a message.
 */
export function startLiveServer(
  settings: HttpSettings,
  state: LiveState,
  trigger?: IncidentTrigger,
): LiveServer {
  const streams: Streams = new Map();
  const handler = (request: Request) =>
    new URL(request.url).pathname === "/api/incidents" &&
      request.method === "POST"
      ? postIncident(request, trigger)
      : route(request, state, streams);
  const tries = settings.explicit || settings.port === 0 ? 1 : PORT_TRIES;
  for (let i = 0;; i++) {
    const port = settings.port + i;
    try {
      const server = Deno.serve(
        { hostname: settings.host, port, onListen: () => {} },
        handler,
      );
      const bound = server.addr as Deno.NetAddr;
      const host = bound.hostname.includes(":")
        ? `[${bound.hostname}]`
        : bound.hostname;
      return {
        url: `http://${host}:${bound.port}/`,
        close: async () => {
          for (const [c, unsubscribe] of streams) {
            unsubscribe();
            c.close();
          }
          streams.clear();
          await server.shutdown();
        },
      };
    } catch (error) {
      if (!(error instanceof Deno.errors.AddrInUse) || i + 1 >= tries) {
        throw new Error(
          error instanceof Deno.errors.AddrInUse
            ? `Cannot serve the live view on ${settings.host}:${port}: the port is in use (choose another with --http HOST:PORT, or --http off)`
            : `Cannot serve the live view on ${settings.host}:${port}: ${
              (error as Error).message
            }`,
          { cause: error },
        );
      }
    }
  }
}

function route(
  request: Request,
  state: LiveState,
  streams: Streams,
): Response {
  if (request.method !== "GET" && request.method !== "HEAD") {
    return text(405, "method not allowed\n", { allow: "GET, HEAD" });
  }
  const path = new URL(request.url).pathname;
  if (path === "/metrics") {
    return text(200, renderMetrics(state.snapshot), {
      "content-type": METRICS_CONTENT_TYPE,
    });
  }
  if (path === "/api/stats") {
    return json({ ...state.snapshot, history: state.history });
  }
  if (path === "/api/events") return events(state, streams);
  if (path === "/api/incidents") return json(state.snapshot.incidents);
  const asset = ASSETS[path];
  if (asset) return text(200, asset.body, { "content-type": asset.type });
  return text(404, "not found\n");
}

function text(
  status: number,
  body: string,
  headers: Record<string, string> = {},
): Response {
  return new Response(body, {
    status,
    headers: {
      ...HEADERS,
      "content-type": "text/plain; charset=utf-8",
      ...headers,
    },
  });
}

function json(value: unknown, status = 200): Response {
  return text(status, JSON.stringify(value), {
    "content-type": "application/json; charset=utf-8",
  });
}

/**
 * `POST /api/incidents` with `{"incident": "cdn_outage cdn=Akamai for=10m"}`.
 * JSON only: a cross-site page cannot send it without a preflight this
 * server never grants.
 */
async function postIncident(
  request: Request,
  trigger: IncidentTrigger | undefined,
): Promise<Response> {
  const type = request.headers.get("content-type") ?? "";
  if (!type.startsWith("application/json")) {
    return json({
      error: "expected a JSON body (content-type: application/json)",
    }, 415);
  }
  let spec: unknown;
  try {
    spec = (await request.json())?.incident;
  } catch {
    return json({ error: "expected a JSON body" }, 400);
  }
  if (typeof spec !== "string") {
    return json({
      error:
        'expected {"incident": "KIND key=value ..."}, e.g. {"incident": "cdn_outage cdn=Akamai for=10m"}',
    }, 400);
  }
  if (!trigger) {
    return json({
      error: "this command generates no stream to start an incident in",
    }, 409);
  }
  const { status, body } = trigger(spec);
  return json(body, status);
}

const encoder = new TextEncoder();

/** Each snapshot's event, encoded once however many pages are open. */
const encoded = new WeakMap<LiveSnapshot, Uint8Array>();

function eventBytes(s: LiveSnapshot): Uint8Array {
  let bytes = encoded.get(s);
  if (!bytes) {
    bytes = encoder.encode(`data: ${JSON.stringify(s)}\n\n`);
    encoded.set(s, bytes);
  }
  return bytes;
}

/** One Server-Sent Event per snapshot, the current one first. */
function events(state: LiveState, streams: Streams): Response {
  let controller: ReadableStreamDefaultController<Uint8Array>;
  const send = (s: LiveSnapshot) => controller.enqueue(eventBytes(s));
  const body = new ReadableStream<Uint8Array>({
    start(c) {
      controller = c;
      c.enqueue(encoder.encode("retry: 2000\n\n"));
      send(state.snapshot);
      streams.set(c, state.subscribe(send));
    },
    cancel() {
      streams.get(controller)?.();
      streams.delete(controller);
    },
  });
  return new Response(body, {
    headers: {
      ...HEADERS,
      "content-type": "text/event-stream; charset=utf-8",
      "connection": "keep-alive",
    },
  });
}
