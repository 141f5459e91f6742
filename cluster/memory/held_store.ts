/**
 * The results a graph worker holds, with a memory limit: every value is
 * measured when it is put (`byte_size.ts`) and kept in least-recently-used
 * order; past the `target` fraction of the limit the least recently used
 * are spilled to a file each in the worker's spill directory
 * (`spill_space.ts`), a typed array as its raw bytes, anything else in
 * troupe's own MessagePack (loaded at the first such spill, see
 * `spill_codec.ts`), and read back when a task or a fetch asks for them.
 * Past `pause` it says so (the scheduler then sends it nothing new); where
 * it has a process of its own, past `spill` of that process's memory it
 * spills more, and past `terminate` it asks to be ended. Reads and writes
 * are synchronous: a task's inputs are at hand when it starts, as Dask's
 * spill buffer has them.
 *
 * Only plain data is spilled (see `measure`): a class instance would come
 * back a plain object, so it stays in memory, counted.
 *
 * @module
 */

import { measure } from "./byte_size.ts";
import type { Fractions } from "./fractions.ts";
import {
  defaultLocalDirectory,
  openSpillSpace,
  type SpillSpace,
} from "./spill_space.ts";
import {
  fromRaw,
  joinPath,
  loadCodec,
  loadedCodec,
  rawForm,
  type RawKind,
} from "./spill_codec.ts";

/**
 * How a store is limited and where it spills.
 *
 * @example
 * ```ts
 * import type { StoreConfig } from "./held_store.ts";
 * import { DEFAULT_FRACTIONS } from "./fractions.ts";
 * const config: StoreConfig = { limit: 2 ** 30, fractions: DEFAULT_FRACTIONS, localDirectory: "/tmp/spill" };
 * ```
 */
export interface StoreConfig {
  /** Bytes (0: no limit, nothing is spilled). */
  limit: number;
  /** Thresholds, as fractions of `limit`. */
  fractions: Fractions;
  /**
   * The directory to spill into, this store's alone (made when first
   * needed, removed on close); else a space opened under `localDirectory`.
   */
  directory?: string;
  /** Where to open a spill space when `directory` is not given. */
  localDirectory?: string;
  /** The start of the space's name (default `store`). */
  spaceName?: string;
  /**
   * The store has its process to itself (a process host, a node of one
   * thread): its resident memory counts for `spill` and `terminate`, and
   * the monitor checks it every `monitorMs`.
   */
  process?: boolean;
  /** How often the process's memory is checked, in ms (default 200). */
  monitorMs?: number;
}

/**
 * What a store tells its owner.
 *
 * @example
 * ```ts
 * import type { StoreHooks } from "./held_store.ts";
 * const hooks: StoreHooks = { changed: () => {}, terminate: (why) => console.error(why) };
 * ```
 */
export interface StoreHooks {
  /** Its counters changed (`paused` or `full` may have flipped). */
  changed?: () => void;
  /** Past the terminate fraction: end this host. */
  terminate?: (reason: string) => void;
  /** Something went wrong that does not stop it (a spill it could not write). */
  log?: (message: string) => void;
}

/**
 * A store's counters, as `status()` shows them per worker.
 *
 * @example
 * ```ts
 * import type { StoreCounters } from "./held_store.ts";
 * const line = (c: StoreCounters) => `${c.memory}/${c.limit} B, ${c.spilled} B on disk`;
 * ```
 */
export interface StoreCounters {
  /** The memory limit in bytes (0: none). */
  limit: number;
  /** Bytes of held results in memory. */
  memory: number;
  /** Bytes of held results spilled to disk now. */
  spilled: number;
  /** Results spilled to disk now. */
  spilledCount: number;
  /**
   * The process's memory measured against `spill` and `terminate`: its
   * resident memory (or `memory`, if more; `memory` alone where the store
   * has no process of its own), as Dask measures a worker's.
   */
  process: number;
  /** Above `pause`: it takes no new tasks. */
  paused: boolean;
  /** Held results (in memory and on disk) at or above `target`: it is spilling. */
  full: boolean;
  /** Spills so far, and their bytes (of the values). */
  spills: number;
  /** Bytes spilled so far. */
  spillBytes: number;
  /** Reads back so far, and their bytes. */
  unspills: number;
  /** Bytes read back so far. */
  unspillBytes: number;
  /** The target in bytes (0: off, or no limit). */
  target: number;
}

interface Entry {
  /** The value, while in memory. */
  value?: unknown;
  bytes: number;
  plain: boolean;
  /** Its spill file, while on disk. */
  file?: string;
  /** The typed array its file holds the raw bytes of (else MessagePack). */
  raw?: RawKind;
}

/**
 * Held values by key, counted and spilled (see the module's comment).
 *
 * @example
 * ```ts
 * import { HeldStore } from "./held_store.ts";
 * import { resolveFractions } from "./fractions.ts";
 * import assert from "node:assert/strict";
 * const dir = Deno.makeTempDirSync();
 * const store = new HeldStore({
 *   limit: 1000,
 *   fractions: resolveFractions(),
 *   localDirectory: dir,
 * });
 * store.set("a", new Uint8Array(400));
 * store.set("b", new Uint8Array(400)); // 800 > 600: "a" goes to disk
 * assert.equal(store.counters().spilled, 400);
 * assert.equal((store.get("a") as Uint8Array).length, 400); // read back
 * store.close();
 * Deno.removeSync(dir);
 * ```
 */
export class HeldStore {
  readonly #config: StoreConfig;
  readonly #hooks: StoreHooks;
  /** In memory, least recently used first. */
  readonly #memory = new Map<string, Entry>();
  /** On disk. */
  readonly #disk = new Map<string, Entry>();
  #memoryBytes = 0;
  #diskBytes = 0;
  #fileSeq = 0;
  #space?: SpillSpace;
  #dirMade = false;
  /** Why spilling stopped (the directory cannot be written), if it did. */
  #broken?: string;
  /** Waiting for the codec to load, to spill what needs it. */
  #awaitingCodec = false;
  #process = 0;
  #paused = false;
  #full = false;
  #terminated = false;
  /** The process's memory at the last few monitor ticks (newest last). */
  readonly #samples: number[] = [];
  #closed = false;
  readonly #monitor?: ReturnType<typeof setInterval>;
  readonly #counts = { spills: 0, spillBytes: 0, unspills: 0, unspillBytes: 0 };

  /**
   * A store limited by `config`; `hooks` hear of changes.
   *
   * @example
   * ```ts
   * import { HeldStore } from "./held_store.ts";
   * import { resolveFractions } from "./fractions.ts";
   * const store = new HeldStore({ limit: 0, fractions: resolveFractions() });
   * store.close();
   * ```
   */
  constructor(config: StoreConfig, hooks: StoreHooks = {}) {
    this.#config = config;
    this.#hooks = hooks;
    const { spill, terminate } = config.fractions;
    if (config.process && config.limit > 0 && (spill || terminate)) {
      this.#monitor = setInterval(() => {
        this.#sample();
        this.#check();
      }, config.monitorMs ?? 200);
    }
  }

  /** Results held (in memory and on disk). */
  get size(): number {
    return this.#memory.size + this.#disk.size;
  }

  /** Whether `key` is held. */
  has(key: string): boolean {
    return this.#memory.has(key) || this.#disk.has(key);
  }

  /**
   * The value of `key` (undefined if not held), read back from disk if it
   * was spilled; it becomes the most recently used.
   */
  get(key: string): unknown {
    const m = this.#memory.get(key);
    if (m !== undefined) {
      this.#memory.delete(key);
      this.#memory.set(key, m);
      return m.value;
    }
    const d = this.#disk.get(key);
    if (d === undefined) return undefined;
    const bytes = Deno.readFileSync(d.file!);
    // (the value owns the file's bytes: its typed arrays are views of them;
    // the codec loaded before the value could be written with it)
    const value = d.raw !== undefined
      ? fromRaw(d.raw, bytes)
      : loadedCodec()!.unpack(bytes, { copy: false });
    this.#counts.unspills++;
    this.#counts.unspillBytes += d.bytes;
    const budget = this.#budget("target");
    if (budget !== undefined && d.bytes > budget) {
      // Bigger than memory may hold: it stays on disk, read for each use.
      this.#changed();
      return value;
    }
    this.#removeFile(d);
    this.#disk.delete(key);
    this.#diskBytes -= d.bytes;
    d.value = value;
    this.#memory.set(key, d);
    this.#memoryBytes += d.bytes;
    this.#evict();
    this.#check();
    return value;
  }

  /** Hold `value` under `key` (replacing what was there); its bytes. */
  set(key: string, value: unknown): number {
    if (this.#closed) return 0;
    this.#drop(key);
    const { bytes, plain } = measure(value);
    const e: Entry = { value, bytes, plain };
    this.#memory.set(key, e);
    this.#memoryBytes += bytes;
    this.#evict();
    this.#check();
    return bytes;
  }

  /** The values held in memory now (not those on disk), without use. */
  *inMemory(): IterableIterator<unknown> {
    for (const e of this.#memory.values()) yield e.value;
  }

  /** Drop `key` (from memory or disk); whether it was held. */
  delete(key: string): boolean {
    const had = this.#drop(key);
    if (had) this.#check();
    return had;
  }

  /** The counters now. */
  counters(): StoreCounters {
    return {
      limit: this.#config.limit,
      memory: this.#memoryBytes,
      spilled: this.#diskBytes,
      spilledCount: this.#disk.size,
      process: Math.max(this.#process, this.#memoryBytes),
      paused: this.#paused,
      full: this.#full,
      ...this.#counts,
      target: this.#budget("target") ?? 0,
    };
  }

  /** The spill directory, once made (for tests and logs). */
  get directory(): string | undefined {
    return this.#dirMade ? this.#dir() : undefined;
  }

  /** Drop everything and remove the spill directory (idempotent). */
  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    clearInterval(this.#monitor);
    this.#memory.clear();
    this.#disk.clear();
    this.#memoryBytes = this.#diskBytes = 0;
    if (this.#space !== undefined) this.#space.close();
    else if (this.#dirMade) {
      try {
        Deno.removeSync(this.#config.directory!, { recursive: true });
      } catch { /* gone already */ }
    }
  }

  #drop(key: string): boolean {
    const m = this.#memory.get(key);
    if (m !== undefined) {
      this.#memory.delete(key);
      this.#memoryBytes -= m.bytes;
      return true;
    }
    const d = this.#disk.get(key);
    if (d === undefined) return false;
    this.#disk.delete(key);
    this.#diskBytes -= d.bytes;
    this.#removeFile(d);
    return true;
  }

  /** Bytes of a threshold, or undefined when it is off (or no limit). */
  #budget(name: keyof Fractions): number | undefined {
    const f = this.#config.fractions[name];
    const limit = this.#config.limit;
    return f === false || limit <= 0 ? undefined : f * limit;
  }

  /** Spill least recently used values while memory is above `target`. */
  #evict(): void {
    const budget = this.#budget("target");
    if (budget === undefined) return;
    // Half way to the target: the codec starts loading in the background,
    // so that values it writes need not wait for it at the target.
    if (this.#memoryBytes > budget / 2 && loadedCodec() === undefined) {
      loadCodec().catch(() => {}); // (a spill that needs it reports it)
    }
    if (this.#memoryBytes <= budget) return;
    this.#spillBytes(this.#memoryBytes - budget);
  }

  /** Spill least recently used values of at least `excess` bytes. */
  #spillBytes(excess: number): void {
    if (this.#broken !== undefined) return;
    let freed = 0;
    for (const [key, e] of this.#memory) {
      if (freed >= excess) break;
      if (!e.plain) continue;
      if (!this.#spill(key, e)) {
        if (this.#broken !== undefined) return;
        continue;
      }
      freed += e.bytes;
    }
  }

  /** Write `e` to its file and drop it from memory; whether it was. */
  #spill(key: string, e: Entry): boolean {
    let bytes: Uint8Array;
    const raw = rawForm(e.value);
    if (raw !== undefined) bytes = raw.bytes;
    else {
      const codec = loadedCodec();
      if (codec === undefined) {
        this.#awaitCodec();
        return false; // (in memory, counted, until the codec has loaded)
      }
      try {
        bytes = codec.pack(e.value, `the value of ${key}`);
      } catch {
        e.plain = false; // (what the codec refuses stays in memory)
        return false;
      }
    }
    const file = joinPath(this.#dir(), `${++this.#fileSeq}.bin`);
    try {
      if (!this.#dirMade) {
        Deno.mkdirSync(this.#dir(), { recursive: true });
        this.#dirMade = true;
      }
      Deno.writeFileSync(file, bytes);
    } catch (err) {
      this.#broken = (err as Error)?.message ?? String(err);
      this.#hooks.log?.(
        `cannot spill to ${this.#dir()} (${this.#broken}): results stay in memory`,
      );
      return false;
    }
    this.#memory.delete(key);
    this.#memoryBytes -= e.bytes;
    e.value = undefined;
    e.file = file;
    e.raw = raw?.kind;
    this.#disk.set(key, e);
    this.#diskBytes += e.bytes;
    this.#counts.spills++;
    this.#counts.spillBytes += e.bytes;
    return true;
  }

  /** Load the codec, then spill what waited for it. */
  #awaitCodec(): void {
    if (this.#awaitingCodec) return;
    this.#awaitingCodec = true;
    loadCodec().then(() => {
      this.#awaitingCodec = false;
      if (this.#closed) return;
      this.#evict();
      this.#check();
    }, (err) => {
      this.#awaitingCodec = false;
      this.#broken ??= `cannot load the codec: ${(err as Error)?.message}`;
      this.#hooks.log?.(`${this.#broken}: results stay in memory`);
    });
  }

  #removeFile(e: Entry): void {
    if (e.file === undefined) return;
    try {
      Deno.removeSync(e.file);
    } catch { /* gone already */ }
    e.file = undefined;
  }

  /** This store's spill directory (a space opened on first use). */
  #dir(): string {
    if (this.#config.directory !== undefined) return this.#config.directory;
    if (this.#space === undefined) {
      this.#space = openSpillSpace(
        this.#config.localDirectory ?? defaultLocalDirectory(),
        this.#config.spaceName ?? "store",
      );
      this.#dirMade = true;
    }
    return this.#space.path;
  }

  /**
   * Look at the thresholds: spill on process memory, pause, terminate;
   * tell the owner.
   */
  #check(): void {
    if (this.#closed) return;
    let measured = this.#memoryBytes;
    // Its resident memory counts where the process is its own. Ended on it
    // only when over for a whole window of ticks: garbage not collected yet
    // comes and goes, a leak stays. What it holds is exact: at once.
    let sustained = this.#memoryBytes;
    if (this.#config.process) {
      this.#process = rss();
      measured = Math.max(this.#process, this.#memoryBytes);
      const spill = this.#budget("spill");
      if (spill !== undefined && measured > spill) {
        this.#spillBytes(measured - spill);
      }
      if (this.#samples.length >= SAMPLES) {
        sustained = Math.max(sustained, Math.min(...this.#samples));
      }
    }
    const terminate = this.#budget("terminate");
    if (terminate !== undefined && !this.#terminated && sustained > terminate) {
      this.#terminated = true;
      this.#hooks.terminate?.(
        `memory ${mib(measured)} past the terminate threshold ${
          mib(terminate)
        } of the limit ${mib(this.#config.limit)}`,
      );
    }
    const pause = this.#budget("pause");
    this.#paused = pause !== undefined && this.#memoryBytes > pause;
    const target = this.#budget("target") ?? this.#budget("pause");
    this.#full = target !== undefined &&
      this.#memoryBytes + this.#diskBytes >= target;
    this.#hooks.changed?.();
  }

  /** Note the process's memory at a monitor tick. */
  #sample(): void {
    const now = rss();
    this.#samples.push(Math.max(now, this.#memoryBytes));
    if (this.#samples.length > SAMPLES) this.#samples.shift();
  }

  #changed(): void {
    this.#hooks.changed?.();
  }
}

/** Monitor ticks over which the process must stay past `terminate`. */
const SAMPLES = 5;

/** This process's resident memory in bytes. */
function rss(): number {
  try {
    return Deno.memoryUsage().rss;
  } catch {
    return 0;
  }
}

function mib(bytes: number): string {
  return `${(bytes / 2 ** 20).toFixed(1)} MiB`;
}
