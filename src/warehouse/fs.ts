/**
 * The only user of Deno's file APIs for the warehouse and checkpoints:
 * durable, atomic writes and start-up reconciliation.
 *
 * @module
 */
import { isAbsolute, join, relative } from "node:path";
import { isHidden, parseFileName } from "./partition.ts";
import type { CheckpointStore, Warehouse, WarehouseFile } from "../ports.ts";

const TMP_PREFIX = ".tmp-";
const syncDirs = Deno.build.os !== "windows";

/**
 * Joins `parts` (names built from user input or records: a topic, a date
 * directory, a file name) under `root`, and refuses any that would land
 * outside it or name it.
 */
export function under(root: string, ...parts: string[]): string {
  const path = join(root, ...parts);
  const rel = relative(root, path);
  if (rel === "" || rel === ".." || rel.startsWith("../") || isAbsolute(rel)) {
    throw new RangeError(
      `Cannot use "${parts.join("/")}": it would be outside "${root}"`,
    );
  }
  return path;
}

/** Describes an fs failure as one line naming the path. */
function fsError(action: string, path: string, cause: unknown): Error {
  const reason = cause instanceof Error ? cause.message : String(cause);
  return new Error(`Cannot ${action} "${path}": ${reason}`, { cause });
}

/** Fsyncs a directory so that a rename inside it is durable (POSIX only). */
async function syncDir(dir: string): Promise<void> {
  if (!syncDirs) return;
  const handle = await Deno.open(dir, { read: true });
  try {
    await handle.sync();
  } finally {
    handle.close();
  }
}

/**
 * Writes `content` to `path` atomically and durably: temp, fsync, rename,
 * fsync dir. `content` is the bytes, or a function that writes them in
 * pieces (for files too large to hold); an error it throws itself (not a
 * write's) comes out as it is, after the temp file is removed.
 */
export async function writeFileAtomic(
  path: string,
  content:
    | Uint8Array
    | ((write: (bytes: Uint8Array) => Promise<void>) => Promise<void>),
): Promise<void> {
  const dir = join(path, "..");
  // The temp name keeps the target's name, so that start-up reconciliation
  // can tell which partition a leftover belonged to.
  const base = path.slice(dir.length + 1);
  const tmp = join(
    dir,
    `${TMP_PREFIX}${crypto.randomUUID().slice(0, 8)}-${base}`,
  );
  const produce = content instanceof Uint8Array
    ? (write: (bytes: Uint8Array) => Promise<void>) => write(content)
    : content;
  // What `produce` throws comes out as it is: its own errors, and write
  // errors, which `write` has already named.
  let passThrough: { error: unknown } | undefined;
  try {
    await Deno.mkdir(dir, { recursive: true });
    const file = await Deno.open(tmp, { write: true, createNew: true });
    try {
      const write = async (bytes: Uint8Array) => {
        try {
          let written = 0;
          while (written < bytes.length) {
            written += await file.write(bytes.subarray(written));
          }
        } catch (error) {
          throw fsError("write", path, error);
        }
      };
      try {
        await produce(write);
      } catch (error) {
        passThrough = { error };
        throw error;
      }
      // A failed fsync is fatal (fsyncgate): the caller must not retry it.
      await file.sync();
    } finally {
      file.close();
    }
    await Deno.rename(tmp, path);
    await syncDir(dir);
  } catch (error) {
    await Deno.remove(tmp).catch(() => {});
    if (passThrough?.error === error) throw error;
    throw fsError("write", path, error);
  }
}

/** Opens the warehouse table directory `<root>/<topic>`. */
export function createFsWarehouse(
  root: string,
  topic: string,
  options: {
    compact?: Warehouse["compact"];
  } = {},
): Warehouse {
  const table = under(root, topic);
  return {
    compact: options.compact ?? (() => Promise.resolve([])),
    async writeFiles(files: WarehouseFile[]) {
      for (const f of files) {
        await writeFileAtomic(under(table, f.dir, f.name), f.bytes);
      }
    },
    async reconcile(owned: ReadonlyMap<number, number>) {
      const removed: string[] = [];
      let dirs: Deno.DirEntry[] = [];
      try {
        dirs = await Array.fromAsync(Deno.readDir(table));
      } catch (error) {
        if (error instanceof Deno.errors.NotFound) return removed;
        throw fsError("read", table, error);
      }
      for (const d of dirs) {
        if (!d.isDirectory) continue;
        if (!d.name.startsWith("date=") && d.name !== "_rejected") continue;
        const dir = join(table, d.name);
        for await (const f of Deno.readDir(dir)) {
          const leftover = f.name.startsWith(TMP_PREFIX);
          const parsed = parseFileName(
            leftover ? f.name.slice(TMP_PREFIX.length + 9) : f.name,
          );
          if (!parsed) continue;
          const next = owned.get(parsed.partition);
          if (next === undefined) continue;
          if (leftover || parsed.first >= next) {
            await Deno.remove(join(dir, f.name));
            removed.push(join(dir, f.name));
          }
        }
      }
      return removed;
    },
    async markComplete(date: string) {
      await writeFileAtomic(
        under(table, `date=${date}`, "_SUCCESS"),
        new Uint8Array(),
      );
    },
  };
}

/** Opens the JSON checkpoint store: `<dir>/partitions/<p>.json` plus locks. */
export function createJsonCheckpointStore(dir: string): CheckpointStore {
  const files = join(dir, "partitions");
  const locks = join(dir, "locks");
  const held = new Map<number, Deno.FsFile>();
  const path = (p: number) => join(files, `${p}.json`);
  return {
    async acquire(partition: number, timeoutMs: number) {
      if (held.has(partition)) return;
      await Deno.mkdir(locks, { recursive: true });
      const lockPath = join(locks, `${partition}.lock`);
      const file = await Deno.open(lockPath, { create: true, write: true });
      let timer: ReturnType<typeof setTimeout> | undefined;
      try {
        await Promise.race([
          file.lock(true),
          new Promise((_, reject) => {
            timer = setTimeout(
              () =>
                reject(
                  new Error(
                    `Cannot lock checkpoint "${lockPath}": another tvstream consumer has held partition ${partition} for ${
                      Math.round(timeoutMs / 1000)
                    } s`,
                  ),
                ),
              timeoutMs,
            );
          }),
        ]);
      } catch (error) {
        // Closing the file also drops a lock that was granted too late.
        file.close();
        throw error;
      } finally {
        clearTimeout(timer);
      }
      held.set(partition, file);
      // A checkpoint write killed before its rename leaves a hidden temp
      // file; holding the lock, no one else can be writing this one.
      const suffix = `-${partition}.json`;
      try {
        for await (const f of Deno.readDir(files)) {
          if (f.name.startsWith(TMP_PREFIX) && f.name.endsWith(suffix)) {
            await Deno.remove(join(files, f.name)).catch(() => {});
          }
        }
      } catch (error) {
        if (!(error instanceof Deno.errors.NotFound)) {
          throw fsError("read", files, error);
        }
      }
    },
    release(partition: number) {
      const file = held.get(partition);
      held.delete(partition);
      file?.close();
      return Promise.resolve();
    },
    async load(partition: number) {
      try {
        return await Deno.readTextFile(path(partition));
      } catch (error) {
        if (error instanceof Deno.errors.NotFound) return undefined;
        throw fsError("read checkpoint", path(partition), error);
      }
    },
    async save(partition: number, text: string) {
      await writeFileAtomic(path(partition), new TextEncoder().encode(text));
    },
    async list() {
      try {
        const out: number[] = [];
        for await (const f of Deno.readDir(files)) {
          const m = /^(\d+)\.json$/.exec(f.name);
          if (m) out.push(Number(m[1]));
        }
        return out.sort((a, b) => a - b);
      } catch (error) {
        if (error instanceof Deno.errors.NotFound) return [];
        throw fsError("read", files, error);
      }
    },
  };
}

/** Lists visible data files under a table, grouped by date directory. */
export async function listTable(
  root: string,
  topic: string,
): Promise<
  {
    date: string;
    files: { name: string; path: string; size: number }[];
    complete: boolean;
  }[]
> {
  const table = under(root, topic);
  const out = [];
  let entries: Deno.DirEntry[];
  try {
    entries = await Array.fromAsync(Deno.readDir(table));
  } catch (error) {
    if (error instanceof Deno.errors.NotFound) return [];
    throw fsError("read", table, error);
  }
  for (const d of entries.sort((a, b) => a.name.localeCompare(b.name))) {
    if (!d.isDirectory || !d.name.startsWith("date=")) continue;
    const dir = join(table, d.name);
    const files = [];
    let complete = false;
    for await (const f of Deno.readDir(dir)) {
      if (f.name === "_SUCCESS") complete = true;
      if (isHidden(f.name) || !f.name.endsWith(".parquet")) continue;
      const path = join(dir, f.name);
      files.push({ name: f.name, path, size: (await Deno.stat(path)).size });
    }
    files.sort((a, b) => a.name.localeCompare(b.name));
    out.push({ date: d.name.slice(5), files, complete });
  }
  return out;
}

/** Counts lines in every file of `<table>/_rejected`. */
export async function countRejected(
  root: string,
  topic: string,
): Promise<number> {
  const dir = under(root, topic, "_rejected");
  let n = 0;
  try {
    for await (const f of Deno.readDir(dir)) {
      if (!f.name.endsWith(".jsonl") || isHidden(f.name)) continue;
      const text = await Deno.readTextFile(join(dir, f.name));
      n += text.split("\n").filter((l) => l !== "").length;
    }
  } catch (error) {
    if (!(error instanceof Deno.errors.NotFound)) throw error;
  }
  return n;
}
