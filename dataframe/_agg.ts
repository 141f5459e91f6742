/**
 * Group-by aggregation in three steps, as Dask's tree reductions do it:
 * `GroupAcc.add` folds batches of one partition into partial aggregates
 * (one small row per group: counts, sums, means and squared deviations,
 * extremes, first and last values, distinct values), `combine` merges
 * partials from several partitions, `finish` gives the result, one row per
 * group, sorted by the keys.
 *
 * @module
 */

import { ColumnBuilder, takeRows } from "./_builder.ts";
import { dictValues } from "./_dict.ts";
import { floats } from "./_eval.ts";
import { KeyEncoder } from "./_keys.ts";
import {
  bit,
  type Column,
  columnOf,
  type DType,
  type Part,
  type Schema,
} from "./_part.ts";
import { argsort } from "./_sort.ts";

/** The aggregations of `groupBy(...).agg(...)`. */
export type AggFn =
  | "mean"
  | "sum"
  | "count"
  | "size"
  | "min"
  | "max"
  | "std"
  | "var"
  | "first"
  | "last"
  | "nunique";

/** Every aggregation name, for checks. */
export const AGG_FNS: readonly AggFn[] = [
  "mean",
  "sum",
  "count",
  "size",
  "min",
  "max",
  "std",
  "var",
  "first",
  "last",
  "nunique",
];

/** One output column: `fn` over column `col`, named `out`. */
export interface AggItem {
  readonly col: string;
  readonly fn: AggFn;
  readonly out: string;
}

/** What a group-by computes. */
export interface AggSpec {
  readonly keys: readonly string[];
  readonly keyTypes: readonly DType[];
  readonly items: readonly AggItem[];
  /** The aggregated columns' types, parallel to `items`. */
  readonly itemTypes: readonly DType[];
  /** Whether rows with a null key are dropped (else null is a key). */
  readonly dropna: boolean;
}

/** The type of `fn` over a column of `type`. */
export function aggType(fn: AggFn, type: DType): DType {
  switch (fn) {
    case "count":
    case "size":
    case "nunique":
      return "int32";
    case "mean":
    case "sum":
    case "std":
    case "var":
      return "float64";
    default:
      return type;
  }
}

/** The functions that need numbers. */
export const NUMERIC_FNS: ReadonlySet<AggFn> = new Set([
  "mean",
  "sum",
  "std",
  "var",
]);

/** The state of one aggregation, one entry per group. */
export interface AggState {
  /** Values counted (non-null), or rows for `size`. */
  n: Float64Array;
  /** Sums (sum, mean), means (var, std), extremes or first/last as numbers. */
  a: Float64Array | null;
  /** Squared deviations from the mean (var, std). */
  m2: Float64Array | null;
  /** String extremes, first and last values. */
  s: (string | null)[] | null;
  /** Distinct values (nunique). */
  sets: (number | string)[][] | null;
}

/** A partial aggregate: one row of keys per group and the states. */
export interface PartialAgg {
  readonly keys: Part;
  readonly states: AggState[];
}

function grow(a: Float64Array, n: number, fill = 0): Float64Array {
  if (a.length >= n) return a;
  const b = new Float64Array(Math.max(n, a.length * 2));
  b.set(a);
  if (fill !== 0) b.fill(fill, a.length);
  return b;
}

function isText(type: DType): boolean {
  return type === "string";
}

/** Folds batches (or partials) into per-group states. */
export class GroupAcc {
  readonly spec: AggSpec;
  readonly #keys: KeyEncoder;
  readonly #states: AggState[];
  #gids = new Int32Array(0);
  #sets: Set<number | string>[][];

  constructor(spec: AggSpec) {
    this.spec = spec;
    this.#keys = new KeyEncoder(spec.keys, spec.keyTypes, !spec.dropna);
    this.#states = spec.items.map((item, k) => {
      const text = isText(spec.itemTypes[k]);
      const numericState = item.fn !== "count" && item.fn !== "size" &&
        item.fn !== "nunique" && !text;
      return {
        n: new Float64Array(16),
        a: numericState ? new Float64Array(16) : null,
        m2: item.fn === "var" || item.fn === "std"
          ? new Float64Array(16)
          : null,
        s: text && item.fn !== "count" && item.fn !== "size" &&
            item.fn !== "nunique"
          ? []
          : null,
        sets: null,
      };
    });
    this.#sets = spec.items.map(() => []);
  }

  #ensure(groups: number): void {
    for (let k = 0; k < this.#states.length; k++) {
      const st = this.#states[k];
      const fn = this.spec.items[k].fn;
      st.n = grow(st.n, groups);
      if (st.a !== null) {
        st.a = grow(
          st.a,
          groups,
          fn === "min" ? Infinity : fn === "max" ? -Infinity : 0,
        );
      }
      if (st.m2 !== null) st.m2 = grow(st.m2, groups);
    }
  }

  /** Fold a batch (its columns include the keys and aggregated columns). */
  add(batch: Part): void {
    const n = batch.length;
    if (n === 0) return;
    if (this.#gids.length < n) this.#gids = new Int32Array(Math.max(n, 1024));
    const g = this.#gids;
    this.#keys.encode(this.spec.keys.map((k) => columnOf(batch, k)), n, g);
    this.#ensure(this.#keys.count);
    const items = this.spec.items;
    for (let k = 0; k < items.length; k++) {
      const item = items[k];
      const st = this.#states[k];
      if (item.fn === "size") {
        const cnt = st.n;
        for (let i = 0; i < n; i++) if (g[i] >= 0) cnt[g[i]]++;
        continue;
      }
      const col = columnOf(batch, item.col);
      this.#fold(item.fn, st, k, col, n, g);
    }
  }

  #fold(
    fn: AggFn,
    st: AggState,
    k: number,
    col: Column,
    n: number,
    g: Int32Array,
  ): void {
    const valid = col.valid;
    const cnt = st.n;
    if (fn === "count") {
      for (let i = 0; i < n; i++) {
        if (g[i] >= 0 && (valid === null || bit(valid, i))) cnt[g[i]]++;
      }
      return;
    }
    if (fn === "nunique") {
      const sets = this.#sets[k];
      const values = col.type === "string" ? dictValues(col.dict!) : null;
      const d = values === null ? floats(col, n) : null;
      const idx = col.data as Int32Array;
      for (let i = 0; i < n; i++) {
        const gi = g[i];
        if (gi < 0 || (valid !== null && !bit(valid, i))) continue;
        (sets[gi] ??= new Set()).add(values !== null ? values[idx[i]] : d![i]);
      }
      return;
    }
    if (st.s !== null) {
      // Strings: extremes by comparison, first/last by position.
      const values = dictValues(col.dict!);
      const idx = col.data as Int32Array;
      const s = st.s;
      for (let i = 0; i < n; i++) {
        const gi = g[i];
        if (gi < 0 || (valid !== null && !bit(valid, i))) continue;
        const v = values[idx[i]];
        const cur = s[gi];
        if (
          cur === undefined || cur === null || fn === "last" ||
          (fn === "min" && v < cur) || (fn === "max" && v > cur)
        ) s[gi] = v;
        cnt[gi]++;
      }
      return;
    }
    const d = floats(col, n);
    const a = st.a!;
    switch (fn) {
      case "sum":
      case "mean":
        if (valid === null) {
          for (let i = 0; i < n; i++) {
            const gi = g[i];
            if (gi < 0) continue;
            a[gi] += d[i];
            cnt[gi]++;
          }
        } else {
          for (let i = 0; i < n; i++) {
            const gi = g[i];
            if (gi < 0 || !bit(valid, i)) continue;
            a[gi] += d[i];
            cnt[gi]++;
          }
        }
        return;
      case "min":
        for (let i = 0; i < n; i++) {
          const gi = g[i];
          if (gi < 0 || (valid !== null && !bit(valid, i))) continue;
          if (d[i] < a[gi] || (cnt[gi] === 0)) a[gi] = d[i];
          cnt[gi]++;
        }
        return;
      case "max":
        for (let i = 0; i < n; i++) {
          const gi = g[i];
          if (gi < 0 || (valid !== null && !bit(valid, i))) continue;
          if (d[i] > a[gi] || (cnt[gi] === 0)) a[gi] = d[i];
          cnt[gi]++;
        }
        return;
      case "first":
        for (let i = 0; i < n; i++) {
          const gi = g[i];
          if (gi < 0 || (valid !== null && !bit(valid, i))) continue;
          if (cnt[gi] === 0) a[gi] = d[i];
          cnt[gi]++;
        }
        return;
      case "last":
        for (let i = 0; i < n; i++) {
          const gi = g[i];
          if (gi < 0 || (valid !== null && !bit(valid, i))) continue;
          a[gi] = d[i];
          cnt[gi]++;
        }
        return;
      case "var":
      case "std": {
        // Welford: exact enough where sums of squares cancel.
        const m2 = st.m2!;
        for (let i = 0; i < n; i++) {
          const gi = g[i];
          if (gi < 0 || (valid !== null && !bit(valid, i))) continue;
          const c = ++cnt[gi];
          const delta = d[i] - a[gi];
          a[gi] += delta / c;
          m2[gi] += delta * (d[i] - a[gi]);
        }
        return;
      }
    }
  }

  /** Merge a partial aggregate (of partitions after those folded so far). */
  merge(p: PartialAgg): void {
    const n = p.keys.length;
    if (n === 0) return;
    if (this.#gids.length < n) this.#gids = new Int32Array(Math.max(n, 1024));
    const g = this.#gids;
    this.#keys.encode(p.keys.columns, n, g);
    this.#ensure(this.#keys.count);
    const items = this.spec.items;
    for (let k = 0; k < items.length; k++) {
      const fn = items[k].fn;
      const st = this.#states[k];
      const o = p.states[k];
      for (let i = 0; i < n; i++) {
        const gi = g[i];
        if (gi < 0) continue;
        const on = o.n[i];
        const mine = st.n[gi];
        if (fn === "nunique") {
          const set = this.#sets[k][gi] ??= new Set();
          for (const v of o.sets![i]) set.add(v);
          continue;
        }
        if (fn === "count" || fn === "size") {
          st.n[gi] = mine + on;
          continue;
        }
        if (on === 0) continue;
        if (st.s !== null) {
          const v = o.s![i]!;
          const cur = st.s[gi];
          if (
            mine === 0 || fn === "last" || (fn === "min" && v < cur!) ||
            (fn === "max" && v > cur!)
          ) st.s[gi] = v;
          st.n[gi] = mine + on;
          continue;
        }
        const a = st.a!;
        const ov = o.a![i];
        switch (fn) {
          case "sum":
          case "mean":
            a[gi] += ov;
            break;
          case "min":
            if (mine === 0 || ov < a[gi]) a[gi] = ov;
            break;
          case "max":
            if (mine === 0 || ov > a[gi]) a[gi] = ov;
            break;
          case "first":
            if (mine === 0) a[gi] = ov;
            break;
          case "last":
            a[gi] = ov;
            break;
          case "var":
          case "std": {
            // Chan et al.: merge counts, means and squared deviations.
            const total = mine + on;
            const delta = ov - a[gi];
            a[gi] += delta * on / total;
            st.m2![gi] += o.m2![i] + delta * delta * mine * on / total;
            break;
          }
        }
        st.n[gi] = mine + on;
      }
    }
  }

  /** The partial aggregate so far (small: one entry per group). */
  partial(): PartialAgg {
    const g = this.#keys.count;
    return {
      keys: this.#keys.keys(true),
      states: this.#states.map((st, k) => ({
        n: st.n.slice(0, g),
        a: st.a === null ? null : st.a.slice(0, g),
        m2: st.m2 === null ? null : st.m2.slice(0, g),
        s: st.s === null
          ? null
          : Array.from({ length: g }, (_, i) => st.s![i] ?? null),
        sets: this.spec.items[k].fn === "nunique"
          ? Array.from({ length: g }, (_, i) => [...(this.#sets[k][i] ?? [])])
          : null,
      })),
    };
  }

  /** The result: keys, then one column per item; sorted by the keys. */
  finish(sort = true): Part {
    const g = this.#keys.count;
    const keys = this.#keys.keys(false);
    const items = this.spec.items;
    const columns: Column[] = [...keys.columns];
    for (let k = 0; k < items.length; k++) {
      const { fn } = items[k];
      const st = this.#states[k];
      const type = aggType(fn, this.spec.itemTypes[k]);
      const b = new ColumnBuilder(type, g);
      for (let i = 0; i < g; i++) {
        const n = st.n[i];
        switch (fn) {
          case "count":
          case "size":
            b.push(n);
            break;
          case "nunique":
            b.push(this.#sets[k][i]?.size ?? 0);
            break;
          case "mean":
            b.push(n === 0 ? null : st.a![i] / n);
            break;
          case "sum":
            b.push(st.a![i]);
            break;
          case "var":
          case "std": {
            if (n < 2) b.push(null);
            else {
              const v = st.m2![i] / (n - 1);
              b.push(fn === "var" ? v : Math.sqrt(v));
            }
            break;
          }
          default:
            if (n === 0) b.push(null);
            else if (st.s !== null) b.push(st.s[i]);
            else b.push(fromNumber(st.a![i], type));
        }
      }
      columns.push(b.finish(false));
    }
    const out: Part = {
      names: [...this.spec.keys, ...items.map((i) => i.out)],
      columns,
      length: g,
    };
    if (!sort || g < 2) return out;
    return takeRows(
      out,
      argsort(out, this.spec.keys, this.spec.keys.map(() => true)),
      g,
    );
  }
}

/** A number as a value of `type` (for extremes and first/last). */
function fromNumber(v: number, type: DType): unknown {
  switch (type) {
    case "bool":
      return v !== 0;
    case "int64":
      return BigInt(v);
    case "date":
      return new Date(v * 86_400_000);
    case "timestamp":
      return new Date(v);
    default:
      return v;
  }
}

/** The spec of an aggregation over `schema` (its columns already checked). */
export function aggSpec(
  schema: Schema,
  keys: readonly string[],
  items: readonly AggItem[],
  dropna: boolean,
): AggSpec {
  const typeOf = (name: string) => schema.types[schema.names.indexOf(name)];
  return {
    keys,
    keyTypes: keys.map(typeOf),
    items,
    itemTypes: items.map((i) => i.fn === "size" ? "int32" : typeOf(i.col)),
    dropna,
  };
}
