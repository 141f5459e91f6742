/**
 * The `if (import.meta.main)` guard, checked. A host imports the modules
 * that define the tasks and behaviours it runs; when one of them is the
 * program's main module and its program code is not under the guard, the
 * host runs the program again: it makes an actor system, whose pool starts
 * hosts that import the module again, and so on. While a host imports the
 * program's main module, making an actor system is that mistake, and the
 * system refuses (`UnguardedMainError`), as Python's multiprocessing does.
 *
 * No imports: a worker host loads this before anything else.
 *
 * @module
 */

/** How a process host is told the program's main module. */
export const MAIN_FLAG = "--troupe-main=";

/** The program's main module: on a host, its root's (told by its parent). */
let main: string | undefined;
/** Imports of the main module in flight on this host. */
let loading = 0;
/** Set while a host makes its own system (which is no mistake). */
let hostOwn = false;

/** On a host: the program's main module, as the parent tells it. */
export function setProgramMain(url: string | undefined): void {
  // A compiled program's process host is the program itself, whose main
  // module never gets past its host-mode import: nothing to guard.
  main = url === Deno.mainModule ? undefined : url;
}

/** The program's main module, to tell the hosts this isolate starts. */
export function programMain(): string {
  return main ?? Deno.mainModule;
}

/**
 * Import a module a host needs for its parent's tasks or behaviours; the
 * program's main module is counted while it loads (and runs its top level).
 */
export function importForHost(url: string): Promise<Record<string, unknown>> {
  // (a fresh copy of a module, see cluster/graph/task_modules.ts, is the
  // same module to this check)
  if (url.replace(/[?&]troupe-v=\d+$/, "") !== main) return import(url);
  loading++;
  return (import(url) as Promise<Record<string, unknown>>).finally(() => {
    loading--;
  });
}

/** Run `make` (the host's own system) exempt from the check. */
export function asHostSystem<T>(make: () => T): T {
  hostOwn = true;
  try {
    return make();
  } finally {
    hostOwn = false;
  }
}

/**
 * The main module whose top level is making an actor system on this host
 * (the mistake), or undefined.
 */
export function unguardedMain(): string | undefined {
  return loading > 0 && !hostOwn ? main : undefined;
}
