/**
 * A cluster's secret when nobody chose one: generated at random and handed
 * to the cluster's own nodes and clients, so that running without a secret
 * is a choice and never the default (a scheduler without one lets any
 * local process run code on its nodes).
 *
 * - In one process, a cluster started there is remembered with its secret
 *   by address: `connect` and `runNode` to that address use it when they
 *   are given none.
 * - Between processes on one machine, `troupe scheduler` writes its secret
 *   to a file only its user can read (mode 0600, in a directory of mode
 *   0700), as Jupyter does with its token: `<runtime dir>/scheduler-<port>.secret`,
 *   where the runtime directory is `$TROUPE_RUNTIME_DIR`, else
 *   `$XDG_RUNTIME_DIR/troupe`, else `~/.local/share/troupe/runtime`.
 *   `troupe worker`, `status` and `run` read it for a scheduler on
 *   loopback when they are given no secret.
 *
 * @module
 */

import { isLoopback, parseAddress, readSecret } from "./endpoint.ts";

/** A fresh secret: 32 random bytes, as hex. */
export function generateSecret(): string {
  return Array.from(
    crypto.getRandomValues(new Uint8Array(32)),
    (b) => b.toString(16).padStart(2, "0"),
  ).join("");
}

interface Known {
  hostname: string;
  port: number;
  secret: string | Uint8Array;
}

const known = new Set<Known>();

/**
 * Remember that the cluster at `address` (started in this process) has
 * `secret`; the function returned forgets it.
 */
export function rememberSecret(
  address: string,
  secret: string | Uint8Array,
): () => void {
  const { hostname, port } = parseAddress(bracketed(address));
  const entry = { hostname: hostname.toLowerCase(), port, secret };
  known.add(entry);
  return () => void known.delete(entry);
}

/**
 * The secret of the cluster at `address` if it was started in this
 * process: one listening on that address, or, for a loopback address, one
 * listening on that port of loopback or of every interface.
 */
export function knownSecret(
  address: string,
): string | Uint8Array | undefined {
  let hostname: string, port: number;
  try {
    ({ hostname, port } = parseAddress(bracketed(address)));
  } catch {
    return undefined;
  }
  hostname = hostname.toLowerCase();
  const local = isLoopback(hostname);
  for (const k of known) {
    if (k.port !== port) continue;
    if (k.hostname === hostname) return k.secret;
    if (
      local &&
      (isLoopback(k.hostname) || k.hostname === "0.0.0.0" ||
        k.hostname === "::")
    ) return k.secret;
  }
  return undefined;
}

/** `address` with an IPv6 host in brackets (a cluster's own leaves it bare). */
function bracketed(address: string): string {
  const m = /^([^\[\]]*:[^\[\]]*):(\d+)$/.exec(address);
  return m === null ? address : `[${m[1]}]:${m[2]}`;
}

/** An environment variable, or undefined when unset or not allowed. */
function env(name: string): string | undefined {
  try {
    const v = Deno.env.get(name);
    return v === "" ? undefined : v;
  } catch {
    return undefined; // (no permission to read it)
  }
}

/**
 * Where `troupe scheduler` keeps its secret files (see the module's
 * documentation); undefined when no directory can be named.
 */
export function runtimeDir(): string | undefined {
  const own = env("TROUPE_RUNTIME_DIR");
  if (own !== undefined) return own;
  const xdg = env("XDG_RUNTIME_DIR");
  if (xdg !== undefined) return `${xdg}/troupe`;
  const home = env("HOME");
  return home === undefined ? undefined : `${home}/.local/share/troupe/runtime`;
}

/** The secret file of the scheduler listening on `port` of this machine. */
export function schedulerSecretFile(port: number): string | undefined {
  const dir = runtimeDir();
  return dir === undefined ? undefined : `${dir}/scheduler-${port}.secret`;
}

/**
 * Write `secret` as the secret file of the scheduler on `port`, readable by
 * this user alone; resolves to its path. Rejects (saying where) when it
 * cannot.
 */
export async function writeSchedulerSecret(
  port: number,
  secret: string,
): Promise<string> {
  const path = schedulerSecretFile(port);
  if (path === undefined) {
    throw new Error(
      "no directory for the secret file: set TROUPE_RUNTIME_DIR (or XDG_RUNTIME_DIR, or HOME)",
    );
  }
  const dir = path.slice(0, path.lastIndexOf("/"));
  try {
    await Deno.mkdir(dir, { recursive: true, mode: 0o700 });
    // A file left by an earlier scheduler on this port goes; the new one
    // is created with its mode (an existing file would keep its own).
    await Deno.remove(path).catch((e) => {
      if (!(e instanceof Deno.errors.NotFound)) throw e;
    });
    await Deno.writeTextFile(path, `${secret}\n`, {
      createNew: true,
      mode: 0o600,
    });
  } catch (e) {
    throw new Error(
      `cannot write the secret file ${path}: ${(e as Error).message}`,
      { cause: e },
    );
  }
  return path;
}

/** Remove the secret file of the scheduler on `port` if it holds `secret`. */
export async function removeSchedulerSecret(
  port: number,
  secret: string,
): Promise<void> {
  const path = schedulerSecretFile(port);
  if (path === undefined) return;
  try {
    if ((await Deno.readTextFile(path)).trim() === secret) {
      await Deno.remove(path);
    }
  } catch { /* gone, or not ours to remove */ }
}

/**
 * The secret `troupe scheduler` wrote for the scheduler at `address`, when
 * that address is on loopback and the file is there and readable.
 */
export async function readSchedulerSecret(
  address: string,
): Promise<string | undefined> {
  let hostname: string, port: number;
  try {
    ({ hostname, port } = parseAddress(address));
  } catch {
    return undefined;
  }
  if (!isLoopback(hostname)) return undefined;
  const path = schedulerSecretFile(port);
  if (path === undefined) return undefined;
  try {
    const secret = (await Deno.readTextFile(path)).trim();
    return secret === "" ? undefined : secret;
  } catch {
    return undefined;
  }
}

/**
 * The secret a command line gives for the cluster at `address`: the one in
 * `file`, else `TROUPE_SECRET`, else the secret file of a `troupe
 * scheduler` on this machine at that (loopback) address, else none.
 */
export async function commandLineSecret(
  address: string,
  file: string | undefined,
): Promise<string | undefined> {
  const given = await readSecret(
    file !== undefined ? { file } : { env: "TROUPE_SECRET" },
  );
  return given ?? await readSchedulerSecret(address);
}

/**
 * What to say to someone refused for want of the secret of the cluster at
 * `address`.
 */
export function secretHint(address: string): string {
  let path: string | undefined;
  try {
    const { hostname, port } = parseAddress(address);
    if (isLoopback(hostname)) path = schedulerSecretFile(port);
  } catch { /* not an address */ }
  return `give the cluster's secret with --secret-file or TROUPE_SECRET${
    path === undefined
      ? ""
      : ` (troupe scheduler on this machine keeps it in ${path})`
  }`;
}

/** `TROUPE_TLS_CA`: CA certificates (PEM) a node is handed by its parent. */
export function envCaCerts(): string[] | undefined {
  const pem = env("TROUPE_TLS_CA");
  return pem === undefined ? undefined : [pem];
}
