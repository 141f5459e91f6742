/**
 * The tasks that write and read Zarr chunks (npm `zarrita`, a directory
 * store), imported on a worker only when a graph uses them.
 *
 * @module
 */

import { allocate, checkDType, type DType, type TypedArray } from "./_dtype.ts";
import { sizeOf } from "./_chunks.ts";
import { copyBox } from "./_copy.ts";
import { defineTasks } from "./_graph.ts";

type Zarr = typeof import("zarrita");
type ZarrArray = import("zarrita").Array<
  import("zarrita").DataType,
  import("zarrita").Readable
>;

let modules:
  | Promise<
    { zarr: Zarr; Store: typeof import("@zarrita/storage").FileSystemStore }
  >
  | undefined;

/** zarrita and its file store, imported once per isolate. */
export function loadZarr(): Promise<
  { zarr: Zarr; Store: typeof import("@zarrita/storage").FileSystemStore }
> {
  modules ??= Promise.all([import("zarrita"), import("@zarrita/storage")]).then(
    (
      [zarr, storage],
    ) => ({ zarr, Store: storage.FileSystemStore }),
  );
  return modules;
}

const opened = new Map<string, Promise<ZarrArray>>();

/** The array at `path`, opened once per version (`token`) and isolate. */
async function openArray(path: string, token: string): Promise<ZarrArray> {
  const id = `${path}#${token}`;
  let a = opened.get(id);
  if (a === undefined) {
    if (opened.size > 64) opened.clear();
    a = loadZarr().then(({ zarr, Store }) =>
      zarr.open.v3(zarr.root(new Store(path)), {
        kind: "array",
      }) as unknown as Promise<ZarrArray>
    );
    a.catch(() => opened.delete(id));
    opened.set(id, a);
  }
  return await a;
}

/** The Zarr tasks. */
export const zarrKernels = defineTasks(import.meta.url, {
  /** Write block `data` at `lo` (its shape `shape`) into the array at `path`. */
  write: async (
    path: string,
    token: string,
    lo: number[],
    shape: number[],
    dtype: DType,
    data: TypedArray,
  ): Promise<number> => {
    const { zarr } = await loadZarr();
    const arr = await openArray(path, token);
    if (!ArrayBuffer.isView(data) || data.length !== sizeOf(shape)) {
      throw new TypeError(
        `toZarr: a block of shape [${shape}] is not ${data?.length} elements`,
      );
    }
    const value = checkDType(dtype) === "bool"
      ? new zarr.BoolArray(data.buffer, data.byteOffset, data.length)
      : data;
    const strides = shape.map((_, a) =>
      shape.slice(a + 1).reduce((n, d) => n * d, 1)
    );
    await zarr.set(
      arr as never,
      lo.map((l, a) => zarr.slice(l, l + shape[a])),
      { data: value, shape, stride: strides } as never,
    );
    return data.length;
  },

  /** Read chunk `index` (trimmed to `shape` at the array's edges). */
  read: async (
    path: string,
    token: string,
    index: number[],
    shape: number[],
    dtype: DType,
  ): Promise<TypedArray> => {
    const arr = await openArray(path, token);
    const chunk = await arr.getChunk(index) as {
      data: unknown;
      shape: number[];
    };
    let data = chunk.data as TypedArray | {
      buffer: ArrayBuffer;
      byteOffset: number;
      length: number;
    };
    if (!ArrayBuffer.isView(data)) {
      data = new Uint8Array(data.buffer, data.byteOffset, data.length);
    }
    const typed = data as TypedArray;
    const d = checkDType(dtype);
    const out = allocate(d, sizeOf(shape));
    copyBox(
      out,
      shape,
      shape.map(() => 0),
      typed,
      chunk.shape,
      shape.map(() => 0),
      shape,
    );
    return out;
  },
});
