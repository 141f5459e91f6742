/**
 * Parquet through `parquet-wasm` (Apache Arrow's Rust reader and writer,
 * compiled to WebAssembly): a file's row groups are the partitions; a task
 * reads only its row group's bytes (the reader asks for byte ranges of the
 * file); writing goes through Arrow IPC.
 *
 * @module
 */

import * as pw from "parquet-wasm/bundler";
import * as arrow from "apache-arrow";
import { fromArrowTable, toArrowTable } from "./_arrow.ts";
import type { Part, Schema } from "./_part.ts";
import type { ParquetSource } from "./_spec.ts";

/** A file as a Blob that reads only the byte ranges asked for. */
class FileBlob extends Blob {
  readonly #path: string;
  readonly #size: number;

  constructor(path: string) {
    super([]);
    this.#path = path;
    this.#size = Deno.statSync(path).size;
  }

  override get size(): number {
    return this.#size;
  }

  override slice(start = 0, end = this.#size): Blob {
    using f = Deno.openSync(this.#path, { read: true });
    f.seekSync(start, Deno.SeekMode.Start);
    const b = new Uint8Array(Math.max(0, Math.min(end, this.#size) - start));
    let o = 0;
    while (o < b.length) {
      const n = f.readSync(b.subarray(o));
      if (n === null) break;
      o += n;
    }
    return new Blob([b]);
  }
}

/** What a Parquet file holds: row groups, rows and schema. */
export interface ParquetInfo {
  readonly rowGroups: number;
  readonly rows: number;
  readonly schema: Schema;
}

async function open(path: string): Promise<pw.ParquetFile> {
  try {
    return await pw.ParquetFile.fromFile(new FileBlob(path));
  } catch (e) {
    if (e instanceof Deno.errors.NotFound) throw e;
    throw new TypeError(
      `${path}: not a Parquet file (${
        e instanceof Error ? e.message : String(e)
      })`,
    );
  }
}

/** Read a file's metadata (its footer only). */
export async function parquetInfo(path: string): Promise<ParquetInfo> {
  using file = await open(path);
  const meta = file.metadata();
  const empty = fromArrowTable(
    arrow.tableFromIPC(file.schema().intoIPCStream()),
  );
  return {
    rowGroups: meta.numRowGroups(),
    rows: meta.fileMetadata().numRows(),
    schema: { names: empty.names, types: empty.columns.map((c) => c.type) },
  };
}

/** One row group as a partition (the source's columns only). */
export async function readRowGroup(src: ParquetSource): Promise<Part> {
  using file = await open(src.path);
  const table = await file.read({
    rowGroups: [src.rowGroup],
    columns: [...src.schema.names],
  });
  const part = fromArrowTable(arrow.tableFromIPC(table.intoIPCStream()));
  // Columns in the order asked for.
  return {
    names: src.schema.names,
    columns: src.schema.names.map((n) => part.columns[part.names.indexOf(n)]),
    length: part.length,
  };
}

/** Write `part` as one Parquet file (one row group per `rowGroupSize` rows). */
export async function writeParquetFile(
  part: Part,
  path: string,
  rowGroupSize = 1 << 20,
): Promise<void> {
  const ipc = arrow.tableToIPC(toArrowTable(part), "stream");
  // (writeParquet takes the table: it is freed there.)
  const table = pw.Table.fromIPCStream(ipc);
  const props = new pw.WriterPropertiesBuilder()
    .setMaxRowGroupSize(rowGroupSize)
    .setCompression(pw.Compression.SNAPPY)
    .build();
  await Deno.writeFile(path, pw.writeParquet(table, props));
}
