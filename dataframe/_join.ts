/**
 * Hash joins: the right side's keys go into a table (ids from a key
 * encoder, rows chained per id), the left side's rows look their keys up
 * in it. Inner, left, right and outer; nulls never match.
 *
 * @module
 */

import { ColumnBuilder, takeColumn } from "./_builder.ts";
import { castColumn } from "./_cast.ts";
import { KeyEncoder } from "./_keys.ts";
import { bit, type Column, columnOf, type DType, type Part } from "./_part.ts";
import type { JoinSpec } from "./_spec.ts";

/** The right side of a join, ready for lookups. */
export interface JoinTable {
  readonly right: Part;
  readonly enc: KeyEncoder;
  /** First right row of each id (-1: none). */
  readonly head: Int32Array;
  /** Next right row with the same id (-1: none). */
  readonly next: Int32Array;
  /** The key types both sides are read as. */
  readonly types: readonly DType[];
  /** Right rows matched so far (for right and outer joins). */
  readonly matched: Uint8Array;
}

const tables = new WeakMap<Part, Map<string, JoinTable>>();

/** Key columns of both sides in one type each (numbers of different widths as float64). */
export function keyTypes(
  left: readonly DType[],
  right: readonly DType[],
): DType[] {
  return left.map((t, k) => t === right[k] ? t : "float64");
}

function keyCols(
  part: Part,
  names: readonly string[],
  types: readonly DType[],
): Column[] {
  return names.map((n, k) =>
    castColumn(columnOf(part, n), types[k], part.length, n)
  );
}

/** The table of `right` for `spec` (built once per right partition and isolate). */
export function joinTable(
  right: Part,
  spec: JoinSpec,
  leftTypes: readonly DType[],
): JoinTable {
  const id = JSON.stringify([spec.rightOn, leftTypes]);
  let byKey = tables.get(right);
  const found = byKey?.get(id);
  if (found !== undefined) return found;
  const rightTypes = spec.rightOn.map((n) => columnOf(right, n).type);
  const types = keyTypes(leftTypes, rightTypes);
  const enc = new KeyEncoder(spec.rightOn, types, false);
  const n = right.length;
  const ids = new Int32Array(n);
  enc.encode(keyCols(right, spec.rightOn, types), n, ids);
  const head = new Int32Array(enc.count).fill(-1);
  const next = new Int32Array(n).fill(-1);
  // Chain in reverse, so that matches come out in the right side's order.
  for (let i = n - 1; i >= 0; i--) {
    const g = ids[i];
    if (g < 0) continue;
    next[i] = head[g];
    head[g] = i;
  }
  const table = { right, enc, head, next, types, matched: new Uint8Array(n) };
  if (byKey === undefined) tables.set(right, byKey = new Map());
  byKey.set(id, table);
  return table;
}

/**
 * Join a batch of the left side with the table: matching rows (and, for
 * left and outer joins, unmatched left rows with nulls on the right).
 */
export function probe(left: Part, table: JoinTable, spec: JoinSpec): Part {
  const n = left.length;
  const ids = new Int32Array(n);
  table.enc.encode(keyCols(left, spec.leftOn, table.types), n, ids, true);
  let li: Int32Array = new Int32Array(n + 16);
  let ri: Int32Array = new Int32Array(n + 16);
  let k = 0;
  const keepLeft = spec.how === "left" || spec.how === "outer";
  // (Matches are marked only for the right side's unmatched rows.)
  const keepRight = spec.how === "right" || spec.how === "outer";
  for (let i = 0; i < n; i++) {
    const g = ids[i];
    let r = g >= 0 ? table.head[g] : -1;
    if (r < 0) {
      if (!keepLeft) continue;
      if (k === li.length) [li, ri] = [growI(li), growI(ri)];
      li[k] = i;
      ri[k++] = -1;
      continue;
    }
    for (; r >= 0; r = table.next[r]) {
      if (k === li.length) [li, ri] = [growI(li), growI(ri)];
      li[k] = i;
      ri[k++] = r;
      if (keepRight) table.matched[r] = 1;
    }
  }
  return assemble(left, table.right, li, ri, k, spec);
}

/**
 * How many rows joining a batch of the left side with the table makes
 * (inner and left joins): a count of a join builds none of them.
 */
export function probeCount(
  left: Part,
  table: JoinTable,
  spec: JoinSpec,
): number {
  const n = left.length;
  const ids = new Int32Array(n);
  table.enc.encode(keyCols(left, spec.leftOn, table.types), n, ids, true);
  const keepLeft = spec.how === "left";
  let k = 0;
  for (let i = 0; i < n; i++) {
    const g = ids[i];
    let r = g >= 0 ? table.head[g] : -1;
    if (r < 0) {
      if (keepLeft) k++;
      continue;
    }
    for (; r >= 0; r = table.next[r]) k++;
  }
  return k;
}

/** The right rows no left row matched, with nulls on the left (right and outer joins). */
export function unmatched(
  leftEmpty: Part,
  table: JoinTable,
  spec: JoinSpec,
): Part {
  const n = table.right.length;
  const li = new Int32Array(n);
  const ri = new Int32Array(n);
  let k = 0;
  for (let r = 0; r < n; r++) {
    if (table.matched[r]) continue;
    li[k] = -1;
    ri[k++] = r;
  }
  return assemble(leftEmpty, table.right, li, ri, k, spec);
}

function growI(a: Int32Array): Int32Array {
  const b = new Int32Array(a.length * 2);
  b.set(a);
  return b;
}

function assemble(
  left: Part,
  right: Part,
  li: Int32Array,
  ri: Int32Array,
  k: number,
  spec: JoinSpec,
): Part {
  const columns: Column[] = [];
  for (let c = 0; c < left.columns.length; c++) {
    const name = left.names[c];
    const col = left.columns[c];
    let out = takeColumn(col, li, k);
    const m = spec.merged.indexOf(name);
    if (m >= 0 && (spec.how === "outer" || spec.how === "right")) {
      // A shared key: the right's value where the left has none.
      const rcol = castColumn(
        columnOf(right, spec.rightOn[spec.leftOn.indexOf(name)]),
        col.type,
        right.length,
        name,
      );
      out = coalesce(out, takeColumn(rcol, ri, k), k);
    }
    columns.push(out);
  }
  for (const name of spec.rightKeep) {
    columns.push(takeColumn(columnOf(right, name), ri, k));
  }
  return { names: [...spec.leftNames, ...spec.rightNames], columns, length: k };
}

function coalesce(a: Column, b: Column, n: number): Column {
  const bld = new ColumnBuilder(a.type, n);
  const ia = new Int32Array(1);
  for (let i = 0; i < n; i++) {
    ia[0] = i;
    bld.appendTake(bit(a.valid, i) ? a : b, ia, 1);
  }
  return bld.finish(false);
}
