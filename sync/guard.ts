/**
 * The guard every isolate-scope lock hands out. Internal to `sync/`: users
 * see it through the `Guard` interface.
 *
 * @module
 */

import type { Guard } from "./types.ts";
import { RESOLVED } from "./waiters.ts";

/**
 * A guard that calls `release` once, on `release()` or at the end of a
 * `using` / `await using` block; later calls do nothing.
 *
 * @example
 * ```ts
 * import { Held } from "./guard.ts";
 * import assert from "node:assert/strict";
 *
 * let released = 0;
 * {
 *   using _g = new Held(() => released++);
 * }
 * assert.equal(released, 1);
 * ```
 */
export class Held implements Guard {
  #release: (() => void) | null;

  /**
   * A guard over one release.
   *
   * @example
   * ```ts
   * import { Held } from "./guard.ts";
   * new Held(() => {}).release();
   * ```
   */
  constructor(release: () => void) {
    this.#release = release;
  }

  /**
   * Release (the first time only).
   *
   * @example
   * ```ts
   * import { Held } from "./guard.ts";
   * const g = new Held(() => {});
   * g.release();
   * g.release(); // no-op
   * ```
   */
  release(): void {
    const release = this.#release;
    if (release === null) return;
    this.#release = null;
    release();
  }

  /**
   * `using` support: release.
   *
   * @example
   * ```ts
   * import { Held } from "./guard.ts";
   * using _g = new Held(() => {});
   * ```
   */
  [Symbol.dispose](): void {
    this.release();
  }

  /**
   * `await using` support: release.
   *
   * @example
   * ```ts
   * import { Held } from "./guard.ts";
   * await using _g = new Held(() => {});
   * ```
   */
  [Symbol.asyncDispose](): Promise<void> {
    this.release();
    return RESOLVED;
  }
}
