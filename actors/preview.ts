/**
 * Saying what a peer sent without trusting it: a short, escaped preview of
 * any decoded value for an error message or a log line, and the escaping of
 * text that came from a peer before it reaches a terminal.
 *
 * A peer's value is hostile ground: `JSON.stringify` or `String` of it can
 * take as long as the peer likes (a graph of shared references expands
 * exponentially, an array's `toString` recurses), a long string makes a
 * long log line, and control characters in a name rewrite the reader's
 * terminal. `preview` looks at a bounded number of parts of the value,
 * never calls anything the value defines, and escapes what it shows.
 *
 * @module
 */

/** Characters a terminal acts on, and the backslash that escapes them. */
// deno-lint-ignore no-control-regex
const ESCAPED = /[\x00-\x1f\x7f-\x9f\\\u2028\u2029\u202a-\u202e\u2066-\u2069]/g;
// deno-lint-ignore no-control-regex
const CONTROL = /[\x00-\x1f\x7f-\x9f\u2028\u2029\u202a-\u202e\u2066-\u2069]/;

/**
 * Whether `text` holds a character a terminal acts on (see
 * {@link escapeControl}): a name that does is refused.
 *
 * @example
 * ```ts
 * import { hasControl } from "./preview.ts";
 * console.log(hasControl("w1\x1b[2J"), hasControl("w1")); // true false
 * ```
 */
export function hasControl(text: string): boolean {
  return CONTROL.test(text);
}

/** How long a preview is by default, in characters. */
const DEFAULT_MAX = 80;
/** How many parts of a value a preview looks at, at most. */
const VISITS = 64;

/**
 * `text` with every control character (C0, DEL, C1), line and paragraph
 * separator and bidirectional override escaped as `\xNN` or `\uNNNN`
 * (backslashes too), so that printing it cannot move the cursor, change
 * colours, clear the screen or reorder what follows.
 *
 * @example
 * ```ts
 * import { escapeControl } from "./preview.ts";
 * import assert from "node:assert/strict";
 *
 * assert.equal(escapeControl("w1\x1b[2J"), "w1\\x1b[2J");
 * assert.equal(escapeControl("plain name"), "plain name");
 * ```
 */
export function escapeControl(text: string): string {
  return text.replace(ESCAPED, (c) => {
    if (c === "\\") return "\\\\";
    const code = c.charCodeAt(0);
    return code <= 0xff
      ? `\\x${code.toString(16).padStart(2, "0")}`
      : `\\u${code.toString(16).padStart(4, "0")}`;
  });
}

/**
 * `text` cut to `max` characters (saying how many more there were), with
 * its control characters escaped: for a string from a peer that goes into
 * a message as it is (a name, a key).
 *
 * @example
 * ```ts
 * import { clip } from "./preview.ts";
 * import assert from "node:assert/strict";
 *
 * assert.equal(clip("x".repeat(100), 10), "xxxxxxxxxx…(+90)");
 * assert.equal(clip("a\nb"), "a\\x0ab");
 * ```
 */
export function clip(text: string, max = DEFAULT_MAX): string {
  const shown = text.length > max ? text.slice(0, max) : text;
  const more = text.length - shown.length;
  return escapeControl(shown) + (more > 0 ? `…(+${more})` : "");
}

/**
 * A short description of `value` (at most `max` characters) that is
 * safe to put in an error message or a log line whatever the value is: it
 * looks at no more than a few dozen of its parts, calls none of its
 * methods, and escapes control characters. Strings are quoted, arrays and
 * objects show their first items and how many there are.
 *
 * @example
 * ```ts
 * import { preview } from "./preview.ts";
 * import assert from "node:assert/strict";
 *
 * assert.equal(preview(2), "2");
 * assert.equal(preview("hi\x1b"), '"hi\\x1b"');
 * assert.equal(preview({ t: "hello", n: [1, 2] }), '{t: "hello", n: [1, 2]}');
 * assert.ok(preview("x".repeat(1e6)).length < 100);
 * const shared: unknown[] = [];
 * let v: unknown = shared;
 * for (let i = 0; i < 64; i++) v = [v, v]; // 2^64 leaves if expanded
 * assert.ok(preview(v).length < 100);
 * ```
 */
export function preview(value: unknown, max = DEFAULT_MAX): string {
  const state = { visits: 0, room: max };
  const text = describe(value, state, 0);
  return text.length > max ? `${text.slice(0, max - 1)}…` : text;
}

interface Budget {
  visits: number;
  room: number;
}

function describe(v: unknown, b: Budget, depth: number): string {
  b.visits++;
  switch (typeof v) {
    case "string": {
      const s = `"${clip(v, Math.max(8, Math.min(b.room, DEFAULT_MAX)))}"`;
      b.room -= s.length;
      return s;
    }
    case "number":
    case "boolean":
    case "undefined": {
      const s = Object.is(v, -0) ? "-0" : `${v}`;
      b.room -= s.length;
      return s;
    }
    case "bigint": {
      // (a decimal of a huge bigint costs quadratic time: say its size)
      const bits = v.toString(16).length * 4;
      const s = bits > 64 ? `<bigint of ~${bits} bits>` : `${v}n`;
      b.room -= s.length;
      return s;
    }
    case "symbol":
    case "function":
      return `<${typeof v}>`;
  }
  if (v === null || typeof v !== "object") return "null";
  if (ArrayBuffer.isView(v)) return `<${tag(v)} of ${v.byteLength} bytes>`;
  if (v instanceof ArrayBuffer) return `<ArrayBuffer of ${v.byteLength} bytes>`;
  if (v instanceof Map) return `<Map of ${v.size}>`;
  if (v instanceof Set) return `<Set of ${v.size}>`;
  if (v instanceof Date) return "<Date>";
  if (v instanceof Error) return `<${tag(v)}>`;
  if (depth >= 3) return Array.isArray(v) ? "[…]" : "{…}";
  const parts: string[] = [];
  if (Array.isArray(v)) {
    const n = v.length;
    let i = 0;
    for (; i < n && b.visits < VISITS && b.room > 0; i++) {
      parts.push(describe(v[i], b, depth + 1));
      b.room -= 2;
    }
    if (i < n) parts.push(`…(${n} items)`);
    return `[${parts.join(", ")}]`;
  }
  const proto = Object.getPrototypeOf(v);
  if (proto !== Object.prototype && proto !== null) return `<${tag(v)}>`;
  let more = false;
  for (const k in v as Record<string, unknown>) {
    if (b.visits >= VISITS || b.room <= 0) {
      more = true;
      break;
    }
    const key = clip(k, 24);
    b.room -= key.length + 4;
    parts.push(
      `${key}: ${describe((v as Record<string, unknown>)[k], b, depth + 1)}`,
    );
  }
  if (more) parts.push("…");
  return `{${parts.join(", ")}}`;
}

/** The name of `v`'s kind, from its prototype (not from anything it says). */
function tag(v: object): string {
  return Object.prototype.toString.call(v).slice(8, -1);
}
