/**
 * Routing logics: which routee gets the next message. Internal: a user names
 * one by the `routing` option of `createRouter` (a string, `{ hash }`,
 * `{ weights }` or a function), and `logicOf` turns that into a logic.
 *
 * Each logic is a small stateful object over the current list of routees. It
 * sees the routees' in-flight counts (for least connection) and the message
 * (for consistent hashing); the router tells it when routees come and go.
 *
 * @module
 */

/**
 * How a router picks routees for one message.
 *
 * @example
 * ```ts
 * import { roundRobin } from "./routing.ts";
 * const logic = roundRobin();
 * const picks = [0, 1, 2, 3].map(() => logic.pick(3, { inFlight: [0, 0, 0], key: undefined }));
 * console.log(picks); // [0, 1, 2, 0]
 * ```
 */
export interface RoutingLogic {
  /** A name for logs. */
  readonly name: string;
  /** Whether `pick` reads `inFlight` (else the router does not count it up). */
  readonly usesInFlight?: boolean;
  /**
   * The index of the routee for this message, among `count` routees (or -1
   * for every routee: broadcast).
   */
  pick(count: number, message: RouteInfo): number;
  /** The routee at `index` joined (its weight, for weighted logics). */
  added?(index: number, weight: number): void;
  /** The routee at `index` left. */
  removed?(index: number): void;
}

/**
 * What a logic may know about the message and the routees.
 *
 * @example
 * ```ts
 * import type { RouteInfo } from "./routing.ts";
 * const info: RouteInfo = { inFlight: [2, 0], key: "user-7" };
 * ```
 */
export interface RouteInfo {
  /** Messages sent to each routee and not yet answered (asks only). */
  readonly inFlight: readonly number[];
  /** The message's routing key (consistent hash), if any. */
  readonly key: string | undefined;
  /** The message's name (for a routing function; the router sets it). */
  readonly name?: string;
  /** The message's payload (for a routing function). */
  readonly payload?: unknown;
}

/**
 * Each routee in turn.
 *
 * @example
 * ```ts
 * import { roundRobin } from "./routing.ts";
 * const rr = roundRobin();
 * ```
 */
export function roundRobin(): RoutingLogic {
  let next = 0;
  return {
    name: "round-robin",
    pick: (count) => next++ % count,
  };
}

/**
 * A random routee; `random` may be seeded.
 *
 * @example
 * ```ts
 * import { randomRouting } from "./routing.ts";
 * const logic = randomRouting(() => 0.5);
 * ```
 */
export function randomRouting(
  random: () => number = Math.random,
): RoutingLogic {
  return {
    name: "random",
    pick: (count) => Math.min(count - 1, Math.floor(random() * count)),
  };
}

/**
 * The routee with the fewest messages in flight (ties: the first).
 *
 * @example
 * ```ts
 * import { leastConnection } from "./routing.ts";
 * const logic = leastConnection();
 * console.log(logic.pick(3, { inFlight: [4, 1, 2], key: undefined })); // 1
 * ```
 */
export function leastConnection(): RoutingLogic {
  return {
    name: "least-connection",
    usesInFlight: true,
    pick(count, { inFlight }) {
      let best = 0;
      for (let i = 1; i < count; i++) {
        if (inFlight[i] < inFlight[best]) best = i;
      }
      return best;
    },
  };
}

/**
 * Smooth weighted round robin (as nginx does it): over any window, each
 * routee gets its share of the weights, spread out rather than in runs.
 *
 * @example
 * ```ts
 * import { weightedRoundRobin } from "./routing.ts";
 * const logic = weightedRoundRobin();
 * logic.added?.(0, 3);
 * logic.added?.(1, 1);
 * const picks = [0, 1, 2, 3].map(() => logic.pick(2, { inFlight: [0, 0], key: undefined }));
 * console.log(picks); // [0, 0, 1, 0]
 * ```
 */
export function weightedRoundRobin(): RoutingLogic {
  const weights: number[] = [];
  const current: number[] = [];
  return {
    name: "weighted-round-robin",
    added(index, weight) {
      if (!(weight > 0 && weight < Infinity)) {
        throw new RangeError(`a routee weight must be > 0, got ${weight}`);
      }
      weights.splice(index, 0, weight);
      current.splice(index, 0, 0);
    },
    removed(index) {
      weights.splice(index, 1);
      current.splice(index, 1);
    },
    pick(count) {
      let total = 0;
      let best = 0;
      for (let i = 0; i < count; i++) {
        current[i] += weights[i];
        total += weights[i];
        if (current[i] > current[best]) best = i;
      }
      current[best] -= total;
      return best;
    },
  };
}

/** FNV-1a, 32 bits: small, fast and well spread for short keys. */
function hash32(s: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < s.length; i++) {
    h ^= s.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  // A final mix, so that similar keys land far apart on the ring.
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  return h >>> 0;
}

/**
 * Consistent hashing: a message goes to the routee that owns its key on a
 * hash ring of `vnodes` points per routee, so that when a routee joins or
 * leaves only about 1/n of the keys move. Messages need a key (`routing:
 * { hash }` in the router options).
 *
 * @example
 * ```ts
 * import { consistentHash } from "./routing.ts";
 * const logic = consistentHash();
 * logic.added?.(0, 1);
 * logic.added?.(1, 1);
 * const a = logic.pick(2, { inFlight: [0, 0], key: "user-42" });
 * console.log(a === logic.pick(2, { inFlight: [0, 0], key: "user-42" })); // true
 * ```
 */
export function consistentHash(vnodes = 160): RoutingLogic {
  // Routees are named by a stable id (order of joining), not their index,
  // so that removing one does not move the others' points.
  const ids: number[] = [];
  let nextId = 0;
  let ring: { point: number; id: number }[] = [];
  const rebuild = () => {
    ring = [];
    for (const id of ids) {
      for (let v = 0; v < vnodes; v++) {
        ring.push({ point: hash32(`${id}:${v}`), id });
      }
    }
    ring.sort((a, b) => a.point - b.point);
  };
  return {
    name: "consistent-hash",
    added(index) {
      ids.splice(index, 0, nextId++);
      rebuild();
    },
    removed(index) {
      ids.splice(index, 1);
      rebuild();
    },
    pick(count, { key }) {
      if (typeof key !== "string") {
        throw new TypeError(
          `routing { hash } must give each message a string key, got ${
            key === null ? "null" : typeof key
          }`,
        );
      }
      if (ring.length === 0 || count === 0) return 0;
      const h = hash32(key);
      let lo = 0;
      let hi = ring.length;
      while (lo < hi) {
        const mid = (lo + hi) >>> 1;
        if (ring[mid].point < h) lo = mid + 1;
        else hi = mid;
      }
      const owner = ring[lo === ring.length ? 0 : lo].id;
      return ids.indexOf(owner);
    },
  };
}

/**
 * Every routee gets every message.
 *
 * @example
 * ```ts
 * import { broadcast } from "./routing.ts";
 * console.log(broadcast().pick(3, { inFlight: [0, 0, 0], key: undefined })); // -1
 * ```
 */
export function broadcast(): RoutingLogic {
  return { name: "broadcast", pick: () => -1 };
}

/**
 * How a router picks routees, as its `routing` option names it (the public
 * signatures spell this union out inline): a logic by name, consistent
 * hashing by a key, smooth weighted round robin over weights, or a
 * function of the routees' in-flight asks.
 *
 * @example
 * ```ts
 * import type { Routing } from "./routing.ts";
 * const sticky: Routing = { hash: (_name, payload) => String(payload) };
 * ```
 */
export type Routing =
  | "round-robin"
  | "random"
  | "least-connection"
  | "broadcast"
  | { hash: (name: string, payload: unknown) => string }
  | { weights: number[] }
  | ((message: {
    name: string;
    payload: unknown;
    inFlight: readonly number[];
  }) => number);

/**
 * A fresh logic for `routing` (default round robin), and the key function
 * of `{ hash }`. Bad input is refused here, when the router is made.
 *
 * @example
 * ```ts
 * import { logicOf } from "./routing.ts";
 * import assert from "node:assert/strict";
 *
 * assert.equal(logicOf("least-connection").logic.name, "least-connection");
 * assert.throws(() => logicOf("fastest" as "random"), /routing must be/);
 * ```
 */
export function logicOf(routing: Routing | undefined): {
  logic: RoutingLogic;
  keyOf?: (name: string, payload: unknown) => string;
  weights?: number[];
} {
  switch (routing) {
    case undefined:
    case "round-robin":
      return { logic: roundRobin() };
    case "random":
      return { logic: randomRouting() };
    case "least-connection":
      return { logic: leastConnection() };
    case "broadcast":
      return { logic: broadcast() };
  }
  if (typeof routing === "function") return { logic: custom(routing) };
  if (typeof routing === "object" && routing !== null) {
    if ("hash" in routing && typeof routing.hash === "function") {
      return { logic: consistentHash(), keyOf: routing.hash };
    }
    if ("weights" in routing && Array.isArray(routing.weights)) {
      return { logic: weightedRoundRobin(), weights: routing.weights };
    }
  }
  throw new TypeError(
    `routing must be "round-robin", "random", "least-connection", "broadcast", { hash }, { weights } or a function, got ${
      typeof routing === "string" ? `"${routing}"` : String(routing)
    }`,
  );
}

/** A user's pick function as a logic: its answer is checked. */
function custom(
  pick: (message: {
    name: string;
    payload: unknown;
    inFlight: readonly number[];
  }) => number,
): RoutingLogic {
  return {
    name: "custom",
    usesInFlight: true,
    pick(count, info) {
      const i = pick({
        name: info.name ?? "",
        payload: info.payload,
        inFlight: info.inFlight,
      });
      if (!(Number.isInteger(i) && i >= 0 && i < count)) {
        throw new RangeError(
          `the routing function must return a routee's index, an integer in [0, ${count}), got ${i}`,
        );
      }
      return i;
    },
  };
}
