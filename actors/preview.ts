/**
 * A bounded description of a value that came from elsewhere, for error
 * messages and logs: a peer's value is never stringified whole (a large or
 * deep one would cost time and memory in proportion to what the peer chose
 * to send, and `JSON.stringify` throws on a bigint).
 *
 * @module
 */

/** At most this many characters. */
const MAX = 80;

/** `v` described in at most `max` characters. */
export function preview(v: unknown, max: number = MAX): string {
  const s = describe(v, 2);
  return s.length > max ? `${s.slice(0, max - 1)}…` : s;
}

function describe(v: unknown, depth: number): string {
  switch (typeof v) {
    case "string":
      return JSON.stringify(v.length > MAX ? v.slice(0, MAX) : v) +
        (v.length > MAX ? "…" : "");
    case "number":
    case "boolean":
    case "undefined":
      return String(v);
    case "bigint":
      // (Printing a huge bigint in decimal takes long.)
      return BigInt.asIntN(64, v) === v ? `${v}n` : "a bigint past 64 bits";
    case "symbol":
      return "a symbol";
    case "function":
      return "a function";
  }
  if (v === null) return "null";
  if (Array.isArray(v)) {
    if (depth === 0) return `[${v.length} items]`;
    const head = v.slice(0, 3).map((x) => describe(x, depth - 1));
    return `[${head.join(",")}${v.length > 3 ? `,… ${v.length} items` : ""}]`;
  }
  if (ArrayBuffer.isView(v)) {
    return `${typeName(v)} of ${v.byteLength} bytes`;
  }
  if (depth === 0) return `{…}`;
  const parts: string[] = [];
  let n = 0;
  for (const k in v as Record<string, unknown>) {
    if (++n > 3) {
      parts.push("…");
      break;
    }
    parts.push(
      `${describe(k, 0)}:${
        describe((v as Record<string, unknown>)[k], depth - 1)
      }`,
    );
  }
  // (Small plain data reads as its JSON.)
  const name = typeName(v as object);
  return `${name === "Object" ? "" : `${name} `}{${parts.join(",")}}`;
}

function typeName(v: object): string {
  const ctor = (v as { constructor?: { name?: unknown } }).constructor;
  return typeof ctor?.name === "string" ? ctor.name.slice(0, 40) : "object";
}
