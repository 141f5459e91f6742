/**
 * Zero-copy hand-over of buffers to worker actors.
 *
 * @module
 */

const marks = new WeakMap<object, Transferable[]>();

/**
 * Mark `payload` so that the buffers in `list` (by default the payload
 * itself) are moved to a worker actor instead of copied: after the send they
 * are detached here. The same holds from a worker actor to its parent (a
 * reply, say), and for a graph task's result that `compute` takes from a
 * worker host for the last time. To a local actor nothing moves; to a
 * process actor the bytes are copied as usual.
 *
 * @example
 * ```ts
 * import { transfer } from "@troupe/troupe";
 * const bytes = new Uint8Array(1024).buffer;
 * const payload = transfer(bytes); // ref.tell("consume", payload) moves it
 * ```
 */
export function transfer<T extends object>(
  payload: T,
  list: Transferable[] = [payload as unknown as Transferable],
): T {
  marks.set(payload, list);
  return payload;
}

/** The transfer list marked on `payload`, taken (a mark is used once). */
export function takeTransfer(payload: unknown): Transferable[] | undefined {
  if (typeof payload !== "object" || payload === null) return undefined;
  const list = marks.get(payload);
  if (list !== undefined) marks.delete(payload);
  return list;
}
