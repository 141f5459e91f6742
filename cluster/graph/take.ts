/**
 * What a graph worker may move, not copy, when the scheduler takes results
 * for the last time (a `take`: the values leave the worker's store).
 *
 * A buffer is moved only when nobody here can read it again:
 * - the task that made the value said it keeps no reference to it (it
 *   marked the value with `transfer`, from `actors/transfer.ts`, and the
 *   graph worker kept that mark by the value's key; a task that returns its
 *   input or caches its result does not mark it);
 * - no value left in the store reaches the buffer (a task that returned a
 *   view of an input, or the input itself, shares the input's buffer);
 * - it is not shared memory (a `SharedArrayBuffer` is shared, as always).
 * Anything else crosses as a copy, as a `fetch` does.
 *
 * @module
 */

/** How deep the walk of the store's values goes before it gives up. */
const MAX_DEPTH = 32;

const SAB = typeof SharedArrayBuffer === "function"
  ? SharedArrayBuffer
  : undefined;

/** The plain buffer `t` names (a buffer or a view of one), if any. */
function bufferOf(t: unknown): ArrayBuffer | undefined {
  const b = ArrayBuffer.isView(t) ? t.buffer : t;
  if (!(b instanceof ArrayBuffer)) return undefined;
  if (SAB !== undefined && (b as unknown) instanceof SAB) return undefined;
  return b;
}

/**
 * Add the buffers `v` reaches to `into`; false when the walk cannot see
 * all of `v` (too deep), so that the caller moves nothing.
 */
function reach(
  v: unknown,
  into: Set<ArrayBufferLike>,
  seen: Set<object>,
  depth: number,
): boolean {
  if (typeof v !== "object" || v === null) return true;
  if (ArrayBuffer.isView(v)) {
    into.add(v.buffer);
    return true;
  }
  if (v instanceof ArrayBuffer || (SAB !== undefined && v instanceof SAB)) {
    into.add(v);
    return true;
  }
  if (seen.has(v)) return true;
  seen.add(v);
  if (depth > MAX_DEPTH) return false;
  if (v instanceof Map) {
    for (const [k, x] of v) {
      if (!reach(k, into, seen, depth + 1)) return false;
      if (!reach(x, into, seen, depth + 1)) return false;
    }
    return true;
  }
  if (v instanceof Set) {
    for (const x of v) if (!reach(x, into, seen, depth + 1)) return false;
    return true;
  }
  // Arrays and objects (class instances too): their own fields. A private
  // field is out of sight, but only a task's own mark makes a buffer a
  // candidate, and a value's mark is its maker's word for that value.
  for (const k of Object.keys(v)) {
    if (!reach((v as Record<string, unknown>)[k], into, seen, depth + 1)) {
      return false;
    }
  }
  return true;
}

/**
 * The buffers to move with values taken out of a store that still holds
 * `rest`: of those their tasks marked (`marks`, per value), the ones that
 * nothing in `rest` reaches.
 */
export function movableBuffers(
  marks: readonly (readonly Transferable[] | undefined)[],
  rest: Iterable<unknown>,
): ArrayBuffer[] {
  const wanted = new Set<ArrayBuffer>();
  for (const marked of marks) {
    if (marked === undefined) continue;
    for (const t of marked) {
      const b = bufferOf(t);
      if (b !== undefined) wanted.add(b);
    }
  }
  if (wanted.size === 0) return [];
  const held = new Set<ArrayBufferLike>();
  const seen = new Set<object>();
  for (const v of rest) if (!reach(v, held, seen, 0)) return [];
  return [...wanted].filter((b) => !held.has(b));
}
