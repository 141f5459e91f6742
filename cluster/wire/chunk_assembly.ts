/**
 * A batch that came in chunks, put together as its pieces arrive. Its
 * buffer grows (doubling, to at most the declared total) as pieces come,
 * so that a peer declaring a gigabyte gets memory for what it sends, not
 * for what it says. (A resizable ArrayBuffer grows without copying, but
 * decoding from one ran at a third of the speed.)
 *
 * @module
 */

import { readBin, readUint } from "./frame_format.ts";
import { TransportError } from "./wire_errors.ts";

/** The memory a chunked batch starts with; it grows as its pieces come. */
const ASSEMBLY_START = 16 * 1024 * 1024;

/** The chunked batch of one connection being put together, if any. */
export class ChunkAssembly {
  #buffer: Uint8Array | undefined;
  #total = 0;
  #assembled = 0;

  /** Whether a chunked batch is begun and not complete. */
  get active(): boolean {
    return this.#buffer !== undefined;
  }

  /** Bytes of the batch come so far. */
  get assembled(): number {
    return this.#assembled;
  }

  /** The size the batch declared. */
  get total(): number {
    return this.#total;
  }

  /**
   * Add the piece of a chunk frame (`first`: `[1, total, bin]`, else
   * `[2, bin]`), checked against the batch so far and `maxMessage`.
   * Returns the batch's whole body once its last piece came, else
   * undefined.
   */
  add(
    body: Uint8Array,
    first: boolean,
    maxMessage: number,
  ): Uint8Array | undefined {
    let p = 2;
    if (first) {
      if (this.#buffer !== undefined) {
        throw new TransportError(
          "protocol",
          "a chunked batch began before the previous one ended",
        );
      }
      const [total, next] = readUint(body, p);
      if (total > maxMessage) {
        throw new TransportError(
          "oversize",
          `chunked batch of ${total} bytes exceeds the ${maxMessage}-byte message limit`,
        );
      }
      p = next;
      this.#buffer = new Uint8Array(Math.min(total, ASSEMBLY_START));
      this.#total = total;
      this.#assembled = 0;
    } else if (this.#buffer === undefined) {
      throw new TransportError(
        "protocol",
        "a continuation chunk came with no chunked batch begun",
      );
    }
    const [len, at] = readBin(body, p);
    let buffer = this.#buffer;
    const total = this.#total;
    const end = this.#assembled + len;
    if (at + len !== body.length || end > total) {
      throw new TransportError(
        "protocol",
        "a chunk's piece does not match its frame or its batch's size",
      );
    }
    // At least doubling, never past the total: copies add up to less than
    // the batch, and none at all up to ASSEMBLY_START.
    if (end > buffer.length) {
      const grown = new Uint8Array(
        Math.min(total, Math.max(end, 2 * buffer.length)),
      );
      grown.set(buffer.subarray(0, this.#assembled));
      this.#buffer = buffer = grown;
    }
    buffer.set(body.subarray(at), this.#assembled);
    this.#assembled = end;
    if (end < total) return undefined;
    this.#buffer = undefined;
    return buffer;
  }

  /** Drop a batch begun (the connection closed). */
  clear(): void {
    this.#buffer = undefined;
  }
}
