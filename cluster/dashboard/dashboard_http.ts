/**
 * The dashboard's HTTP server: HTTP/1.1 `GET` and `HEAD`, one request per
 * connection, answered whole or as an event stream. It is small on purpose:
 * a dashboard is a port any local process (or, with a token, any host) can
 * reach, and `Deno.serve` gives no deadline for a request's head (a client
 * that sends one header line a minute holds its connection), no bound on
 * connections, no view of a stream's unwritten backlog, and ends the whole
 * server when `accept` fails once for lack of file descriptors. Here:
 *
 * - the accept loop backs off when accepting fails (see `accept.ts`) and
 *   closes connections over `maxConnections` at once;
 * - a request's head must come whole, within 8 KiB, within `headerTimeout`;
 * - a whole answer must be written within `writeTimeout`, then the
 *   connection closes;
 * - an event stream keeps at most one message waiting behind the one being
 *   written (a newer message replaces it), and a client that has left a
 *   write unfinished for `stallTimeout` is dropped.
 *
 * @module
 */

import { acceptLoop } from "../wire/accept.ts";

/** A request's line and head. */
export interface HttpRequest {
  /** `GET`, `HEAD`, ... */
  method: string;
  /** The request target, parsed (its host is a placeholder). */
  url: URL;
  /** Header values by lower-case name (a repeated header is refused). */
  headers: Map<string, string>;
}

/** A whole answer. */
export interface HttpResponse {
  status: number;
  headers?: Record<string, string>;
  body?: string | Uint8Array;
}

/** An event stream, as its handler sees it. */
export interface EventSink {
  /** Queue `bytes` (a newer call replaces bytes still waiting). */
  send(bytes: Uint8Array): void;
  /** Send `bytes` only if nothing is being written or waiting. */
  ping(bytes: Uint8Array): void;
  /** End the stream and close the connection. */
  close(): void;
}

/** An answer that is an event stream: `open` is called with its sink. */
export interface HttpStream {
  status: 200;
  headers?: Record<string, string>;
  /** Called once the head is written; returns what to call when it ends. */
  open: (sink: EventSink) => () => void;
}

/** Options of {@link serveHttp}. */
export interface HttpServerOptions {
  hostname: string;
  port: number;
  /**
   * The answer; a promise of one for an answer that waits on something
   * (it has `writeTimeout` for its wait and its writing together).
   */
  handler: (
    request: HttpRequest,
  ) => HttpResponse | HttpStream | Promise<HttpResponse>;
  log: (message: string) => void;
  /** Ms from the accept to a request's whole head (default 5,000). */
  headerTimeout?: number;
  /** Ms to write a whole answer (default 30,000). */
  writeTimeout?: number;
  /** Ms an event stream's write may stay unfinished (default 15,000). */
  stallTimeout?: number;
  /** Connections held at most, streams included (default 256). */
  maxConnections?: number;
}

/** A running server. */
export interface HttpServer {
  readonly addr: Deno.NetAddr;
  /** Stop accepting and close every connection (streams end). */
  close(): Promise<void>;
}

const MAX_HEAD = 8 * 1024;
const encoder = new TextEncoder();
const REASONS: Record<number, string> = {
  200: "OK",
  400: "Bad Request",
  401: "Unauthorized",
  403: "Forbidden",
  404: "Not Found",
  405: "Method Not Allowed",
  408: "Request Timeout",
  431: "Request Header Fields Too Large",
  503: "Service Unavailable",
  505: "HTTP Version Not Supported",
};

/**
 * Serve `handler` on `hostname:port` (see the module's documentation).
 *
 * @example
 * ```ts
 * import { serveHttp } from "./dashboard_http.ts";
 *
 * const server = serveHttp({
 *   hostname: "127.0.0.1",
 *   port: 0,
 *   log: console.warn,
 *   handler: () => ({ status: 200, body: "hi\n" }),
 * });
 * const answer = await fetch(`http://127.0.0.1:${server.addr.port}/`);
 * console.log(await answer.text()); // "hi\n"
 * await server.close();
 * ```
 */
export function serveHttp(options: HttpServerOptions): HttpServer {
  const listener = Deno.listen({
    hostname: options.hostname,
    port: options.port,
  });
  const headerTimeout = options.headerTimeout ?? 5_000;
  const writeTimeout = options.writeTimeout ?? 30_000;
  const stallTimeout = options.stallTimeout ?? 15_000;
  const maxConnections = options.maxConnections ?? 256;
  const conns = new Set<Deno.Conn>();
  const tasks = new Set<Promise<void>>();
  const streams = new Set<() => void>();
  const stop = new AbortController();

  const serveOne = async (conn: Deno.Conn): Promise<void> => {
    let timer = setTimeout(() => drop(conn), headerTimeout);
    try {
      const request = await readHead(conn);
      if (request === undefined) return; // gone, or cut off at its deadline
      clearTimeout(timer);
      timer = setTimeout(() => drop(conn), writeTimeout);
      const answer = typeof request === "number"
        ? plain(request)
        : await options.handler(request);
      clearTimeout(timer);
      if ("open" in answer) {
        return await stream(
          conn,
          answer,
          (request as HttpRequest).method === "HEAD",
        );
      }
      timer = setTimeout(() => drop(conn), writeTimeout);
      const body = typeof answer.body === "string"
        ? encoder.encode(answer.body)
        : answer.body ?? new Uint8Array(0);
      await writeAll(
        conn,
        head(answer.status, answer.headers ?? {}, body.length),
      );
      const headOnly = typeof request !== "number" && request.method === "HEAD";
      if (!headOnly && body.length > 0) await writeAll(conn, body);
    } catch {
      /* the client went away, or was dropped */
    } finally {
      clearTimeout(timer);
      drop(conn);
    }
  };

  const stream = async (
    conn: Deno.Conn,
    answer: HttpStream,
    headOnly: boolean,
  ): Promise<void> => {
    const headBytes = encoder.encode(
      `HTTP/1.1 200 OK\r\n${
        fields(answer.headers ?? {})
      }connection: close\r\n\r\n`,
    );
    let writing: Promise<void> | undefined;
    let since = 0;
    let waiting: Uint8Array | undefined;
    let ended = false;
    const gone = Promise.withResolvers<void>();
    const end = (): void => {
      if (ended) return;
      ended = true;
      streams.delete(end);
      gone.resolve();
    };
    const pump = async (first: Uint8Array): Promise<void> => {
      let next: Uint8Array | undefined = first;
      try {
        while (next !== undefined && !ended) {
          since = performance.now();
          await writeAll(conn, next);
          next = waiting;
          waiting = undefined;
        }
      } catch {
        end();
      } finally {
        writing = undefined;
      }
    };
    const sink: EventSink = {
      send(bytes) {
        if (ended) return;
        if (writing === undefined) {
          writing = pump(bytes);
          return;
        }
        if (performance.now() - since > stallTimeout) return end();
        waiting = bytes; // (the older one is not worth sending any more)
      },
      ping(bytes) {
        if (ended) return;
        if (writing === undefined) writing = pump(bytes);
        else if (performance.now() - since > stallTimeout) end();
      },
      close: end,
    };
    writing = pump(headBytes);
    await writing;
    if (ended || headOnly) return end();
    streams.add(end);
    const stopStream = answer.open(sink);
    // Reading tells when the client goes (and throws away what it sends).
    const reading = (async () => {
      const buf = new Uint8Array(1024);
      try {
        while ((await conn.read(buf)) !== null) { /* nothing to read */ }
      } catch { /* reset */ }
      end();
    })();
    await gone.promise;
    stopStream();
    drop(conn);
    await reading;
    await writing;
  };

  const drop = (conn: Deno.Conn): void => {
    if (!conns.delete(conn)) return;
    try {
      conn.close();
    } catch { /* closed */ }
  };

  const accepting = acceptLoop(listener, (conn) => {
    conns.add(conn);
    const task = serveOne(conn);
    tasks.add(task);
    task.finally(() => tasks.delete(task));
  }, {
    log: options.log,
    name: "troupe dashboard",
    signal: stop.signal,
    room: () =>
      conns.size >= maxConnections
        ? { ok: false, why: `${conns.size} connections (maxConnections)` }
        : { ok: true },
  });

  let closing: Promise<void> | undefined;
  return {
    addr: listener.addr,
    close: () =>
      closing ??= (async () => {
        stop.abort();
        try {
          listener.close();
        } catch { /* closed */ }
        await accepting;
        for (const end of [...streams]) end();
        for (const conn of [...conns]) drop(conn);
        while (tasks.size > 0) await Promise.allSettled([...tasks]);
      })(),
  };
}

/**
 * Read a request's head: the request, a status to answer with when it is
 * malformed, or undefined when the client went away first.
 */
async function readHead(
  conn: Deno.Conn,
): Promise<HttpRequest | number | undefined> {
  const buf = new Uint8Array(MAX_HEAD);
  let len = 0;
  let end = -1;
  while (end < 0) {
    if (len === buf.length) return 431;
    let n: number | null;
    try {
      n = await conn.read(buf.subarray(len));
    } catch {
      return undefined;
    }
    if (n === null) return undefined;
    const from = Math.max(0, len - 3);
    len += n;
    for (let i = from; i + 3 < len; i++) {
      if (
        buf[i] === 13 && buf[i + 1] === 10 && buf[i + 2] === 13 &&
        buf[i + 3] === 10
      ) {
        end = i;
        break;
      }
    }
  }
  const lines = new TextDecoder().decode(buf.subarray(0, end)).split("\r\n");
  const m = /^([A-Z]+) (\/\S*) HTTP\/(\d)\.(\d)$/.exec(lines[0]);
  if (m === null) return 400;
  if (m[3] !== "1") return 505;
  const headers = new Map<string, string>();
  for (const line of lines.slice(1)) {
    const colon = line.indexOf(":");
    if (colon <= 0) return 400;
    const name = line.slice(0, colon).trim().toLowerCase();
    if (headers.has(name)) {
      if (name === "host") return 400;
      headers.set(
        name,
        `${headers.get(name)}, ${line.slice(colon + 1).trim()}`,
      );
    } else headers.set(name, line.slice(colon + 1).trim());
  }
  let url: URL;
  try {
    url = new URL(m[2], "http://dashboard.invalid");
  } catch {
    return 400;
  }
  return { method: m[1], url, headers };
}

function fields(headers: Record<string, string>): string {
  return Object.entries(headers).map(([k, v]) => `${k}: ${v}\r\n`).join("");
}

/** The answer to a request that could not be read as one. */
function plain(status: number): HttpResponse {
  return {
    status,
    headers: { "content-type": "text/plain; charset=utf-8" },
    body: `${(REASONS[status] ?? "error").toLowerCase()}\n`,
  };
}

/** The status line and headers of a whole answer of `length` bytes. */
function head(
  status: number,
  headers: Record<string, string>,
  length: number,
): Uint8Array {
  return encoder.encode(
    `HTTP/1.1 ${status} ${REASONS[status] ?? "Unknown"}\r\n${
      fields(headers)
    }content-length: ${length}\r\nconnection: close\r\n\r\n`,
  );
}

async function writeAll(conn: Deno.Conn, bytes: Uint8Array): Promise<void> {
  let off = 0;
  while (off < bytes.length) off += await conn.write(bytes.subarray(off));
}
