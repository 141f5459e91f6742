/**
 * The id `setTimeout` returns. Deno's types follow Node's here, so name it
 * once instead of guessing between `number` and `Timeout`.
 *
 * @module
 */

/** A timer id. */
export type Timer = ReturnType<typeof setTimeout>;
