/**
 * The message types of a behaviour: its message names, the arguments of
 * each and the reply of each, read from its `handlers` alone. They sit
 * below the behaviour and its context (behavior.ts, system.ts) so that a
 * ref (ref_types.ts) can be typed by them without importing the system
 * that its context names.
 *
 * @module
 */

/**
 * The message names a behaviour handles.
 *
 * @example
 * ```ts
 * import { defineActor, type MessageName } from "@troupe/troupe";
 * const C = defineActor({ init: () => ({ n: 0 }), handlers: { get: (s) => s.n } });
 * const m: MessageName<typeof C> = "get";
 * ```
 */
// The handlers' type is inferred with the constraint a behaviour's has, so
// that an untyped ref's (`any`) are a record of any name, as they were
// when these were read off `Behavior` (a ref of any behaviour is then
// assignable to a typed one, which keeps unions of refs typed).
export type MessageName<B> =
  & keyof (B extends {
    readonly handlers: infer H extends Record<
      string,
      (...args: never[]) => unknown
    >;
  } ? H
    : never)
  & string;

/**
 * The arguments of `tell(name, ...)` for message `K` of behaviour `B`.
 *
 * @example
 * ```ts
 * import { defineActor, type MessageArgs } from "@troupe/troupe";
 * const C = defineActor({ init: () => ({ n: 0 }), handlers: { add: (s, by: number) => { s.n += by; } } });
 * const args: MessageArgs<typeof C, "add"> = [2];
 * ```
 */
// The payload's type, then the arguments it makes: what PayloadOf and
// PayloadArgs (internal) say, spelled out so that the entry need not export
// them.
export type MessageArgs<B, K extends MessageName<B>> = 0 extends 1 & B
  ? [payload?: unknown] // an untyped ref (AnyRef) takes any payload
  : (B extends {
    readonly handlers: infer H extends Record<
      string,
      (...args: never[]) => unknown
    >;
  } ? H
    : never)[K] extends infer F ? (
      F extends (state: never, ...rest: infer R) => unknown
        ? R extends [] ? undefined
        : R extends [infer P, ...unknown[]] ? P
        : R extends [(infer P)?, ...unknown[]] ? P | undefined
        : undefined
        : undefined
    ) extends infer P ? [P] extends [undefined] ? [payload?: undefined]
      : undefined extends P ? [payload?: P]
      : [payload: P]
    : never
  : never;

/**
 * The reply type of `ask(name, ...)` for message `K` of behaviour `B`.
 *
 * @example
 * ```ts
 * import { defineActor, type ReplyOf } from "@troupe/troupe";
 * const C = defineActor({ init: () => ({ n: 0 }), handlers: { get: async (s) => s.n } });
 * const r: ReplyOf<typeof C, "get"> = 1;
 * ```
 */
export type ReplyOf<B, K extends MessageName<B>> = 0 extends 1 & B ? unknown
  : Awaited<
    ReturnType<
      (B extends {
        readonly handlers: infer H extends Record<
          string,
          (...args: never[]) => unknown
        >;
      } ? H
        : never)[K] extends (...args: never[]) => unknown ? (B extends {
          readonly handlers: infer H extends Record<
            string,
            (...args: never[]) => unknown
          >;
        } ? H
          : never)[K]
        : never
    >
  >;
