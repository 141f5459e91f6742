/**
 * troupe: a Deno-native actor runtime. Typed actors that exchange messages,
 * placed where the work fits, supervised when they fail.
 *
 * This entry re-exports the stable API of `@troupe/troupe/actors`;
 * `@troupe/troupe/sync` and `@troupe/troupe/cluster` are their own entries.
 *
 * @example
 * ```ts
 * import { ActorSystem, defineActor } from "@troupe/troupe";
 * import assert from "node:assert/strict";
 *
 * const Greeter = defineActor({
 *   init: (greeting: string) => ({ greeting }),
 *   handlers: { greet: (s, name: string) => `${s.greeting}, ${name}!` },
 * });
 * await using system = new ActorSystem();
 * const greeter = system.spawn(Greeter, "Hello");
 * assert.equal(await greeter.ask("greet", "Deno"), "Hello, Deno!");
 * ```
 *
 * @module
 */

export * from "./actors/mod.ts";
