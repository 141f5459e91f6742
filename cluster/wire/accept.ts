/**
 * The accept loop every listener of troupe runs (the cluster's transport,
 * a node's data server, the dashboard): it survives running out of file
 * descriptors, and it keeps a bound on the connections it holds.
 *
 * When `accept()` fails (the process is at its file-descriptor limit, the
 * system is out of memory for sockets), trying again at once fails again
 * at once: the loop would spin and log millions of lines. So it backs off
 * (5 ms doubling to 1 s), says so once per episode, and says when it
 * accepts again. A connection over the listener's limit is closed as soon
 * as it is accepted (which frees its slot in the kernel's backlog), with
 * one line per episode too.
 *
 * @module
 */

/** Options of {@link acceptLoop}. */
export interface AcceptLoopOptions {
  /** Where problems go (one line per episode). */
  log: (message: string) => void;
  /** The start of each line, e.g. `troupe transport`. */
  name: string;
  /** Ends the loop (it also ends when the listener is closed). */
  signal: AbortSignal;
  /**
   * Whether one more connection may be held now; when not, a new one is
   * closed at once. `why` says what the limit is, for the log.
   */
  room?: () => { ok: true } | { ok: false; why: string };
}

/** The first and the longest wait after a failed accept, in ms. */
const BACKOFF_MIN = 5;
const BACKOFF_MAX = 1_000;

/**
 * Accept connections from `listener` and hand each to `serve` until the
 * listener closes or `signal` aborts; resolves then. Never rejects.
 *
 * @example
 * ```ts
 * import { acceptLoop } from "./accept.ts";
 *
 * const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
 * const stop = new AbortController();
 * const loop = acceptLoop(listener, (conn) => conn.close(), {
 *   log: console.warn,
 *   name: "example",
 *   signal: stop.signal,
 * });
 * stop.abort();
 * listener.close();
 * await loop;
 * ```
 */
export async function acceptLoop<C extends Deno.Conn>(
  listener: Deno.Listener<C>,
  serve: (conn: C) => void,
  options: AcceptLoopOptions,
): Promise<void> {
  const { log, name, signal, room } = options;
  let failures = 0;
  let refused = 0;
  while (!signal.aborted) {
    let conn: C;
    try {
      conn = await listener.accept();
    } catch (e) {
      if (signal.aborted || e instanceof Deno.errors.BadResource) return;
      if (failures === 0) {
        log(
          `${name}: accept failed (${
            e instanceof Error ? e.message : String(e)
          }): backing off, up to ${BACKOFF_MAX} ms between tries, until it accepts again`,
        );
      }
      failures++;
      await sleep(
        Math.min(BACKOFF_MAX, BACKOFF_MIN * 2 ** Math.min(failures - 1, 20)),
        signal,
      );
      continue;
    }
    if (failures > 0) {
      log(`${name}: accepting again, after ${failures} failed accepts`);
      failures = 0;
    }
    if (signal.aborted) {
      close(conn);
      return;
    }
    const r = room?.() ?? { ok: true };
    if (!r.ok) {
      if (refused++ === 0) {
        log(`${name}: ${r.why}: closing new connections until there is room`);
      }
      close(conn);
      continue;
    }
    if (refused > 0) {
      log(`${name}: room again, after closing ${refused} connections`);
      refused = 0;
    }
    serve(conn);
  }
}

function close(conn: Deno.Conn): void {
  try {
    conn.close();
  } catch { /* already closed */ }
}

/** Wait `ms`, or less if `signal` aborts. */
function sleep(ms: number, signal: AbortSignal): Promise<void> {
  if (signal.aborted) return Promise.resolve();
  return new Promise((resolve) => {
    const done = (): void => {
      clearTimeout(timer);
      signal.removeEventListener("abort", done);
      resolve();
    };
    const timer = setTimeout(done, ms);
    signal.addEventListener("abort", done, { once: true });
  });
}
