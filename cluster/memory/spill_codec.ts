/**
 * How a held value is written to its spill file and read back. A typed
 * array (an array chunk, the common case) is written as its raw bytes, with
 * no codec at all; any other plain value goes through troupe's MessagePack
 * (`actors/hosts/msgpack.ts`), which is loaded only when a store first needs
 * it: importing it costs tens of milliseconds, and most computations never
 * spill. Until it has loaded, such a value stays in memory (counted), and
 * the store spills it once it has (`loadCodec`).
 *
 * @module
 */

type Msgpack = typeof import("../../actors/hosts/msgpack.ts");

let codec: Msgpack | undefined;
let loading: Promise<Msgpack> | undefined;

/**
 * Load the MessagePack codec (once per isolate); resolves when it can be
 * used synchronously through `loadedCodec`.
 *
 * @example
 * ```ts
 * import { loadCodec, loadedCodec } from "./spill_codec.ts";
 * await loadCodec();
 * console.log(loadedCodec() !== undefined); // true
 * ```
 */
export function loadCodec(): Promise<Msgpack> {
  if (loading === undefined) {
    loading = import("../../actors/hosts/msgpack.ts").then((m) => codec = m);
    // (a failed import may be retried by the next spill)
    loading.catch(() => loading = undefined);
  }
  return loading;
}

/**
 * The codec if it has loaded, else undefined.
 *
 * @example
 * ```ts
 * import { loadedCodec } from "./spill_codec.ts";
 * const codec = loadedCodec(); // undefined until loadCodec() has resolved
 * ```
 */
export function loadedCodec(): Msgpack | undefined {
  return codec;
}

/** The typed arrays written raw, by the name a spill entry keeps. */
const RAW = {
  Float64Array,
  Float32Array,
  Int32Array,
  Uint32Array,
  Int16Array,
  Uint16Array,
  Int8Array,
  Uint8Array,
  Uint8ClampedArray,
  BigInt64Array,
  BigUint64Array,
} as const;

/** The name of a typed array written raw. */
export type RawKind = keyof typeof RAW;

/**
 * A typed array's kind and bytes (a view of its own memory, not a copy), if
 * `value` is one written raw; else undefined.
 *
 * @example
 * ```ts
 * import { rawForm } from "./spill_codec.ts";
 * console.log(rawForm(new Float64Array(2))?.kind); // "Float64Array"
 * console.log(rawForm({ a: 1 })); // undefined
 * ```
 */
export function rawForm(
  value: unknown,
): { kind: RawKind; bytes: Uint8Array } | undefined {
  if (!ArrayBuffer.isView(value) || value instanceof DataView) return;
  const view: ArrayBufferView = value;
  const made: unknown = view.constructor;
  const kind = (made as { name?: string } | undefined)?.name ?? "";
  if (!Object.hasOwn(RAW, kind) || RAW[kind as RawKind] !== made) return;
  const buffer: unknown = view.buffer;
  if (buffer instanceof SharedArrayBuffer) return; // (not plain)
  return {
    kind: kind as RawKind,
    bytes: new Uint8Array(
      buffer as ArrayBuffer,
      view.byteOffset,
      view.byteLength,
    ),
  };
}

/**
 * The typed array `kind` whose bytes `bytes` are (a view of them when they
 * are aligned, as a file read gives them; else a copy).
 *
 * @example
 * ```ts
 * import { fromRaw } from "./spill_codec.ts";
 * const back = fromRaw("Float64Array", new Uint8Array(16));
 * console.log(back.byteLength); // 16
 * ```
 */
export function fromRaw(kind: RawKind, bytes: Uint8Array): ArrayBufferView {
  const Kind = RAW[kind];
  const size = Kind.BYTES_PER_ELEMENT;
  if (bytes.byteOffset % size !== 0) bytes = bytes.slice();
  return new Kind(
    bytes.buffer as ArrayBuffer,
    bytes.byteOffset,
    bytes.byteLength / size,
  );
}

/**
 * `parts` joined by the platform's separator (what `node:path`'s `join`
 * does for the plain names the memory folder joins, without loading it).
 *
 * @example
 * ```ts
 * import { joinPath } from "./spill_codec.ts";
 * console.log(joinPath("/tmp", "troupe-spill")); // "/tmp/troupe-spill"
 * ```
 */
export function joinPath(...parts: string[]): string {
  const sep = Deno.build.os === "windows" ? "\\" : "/";
  const [head, ...rest] = parts;
  return [head.replace(/[\\/]+$/, ""), ...rest].join(sep);
}
