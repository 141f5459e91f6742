/**
 * The row-by-row methods of `LazyFrame` (select, rename, filter, assign,
 * fill and drop nulls, casts, mapPartitions, concat) as plain functions on
 * a frame's plans and schema: each checks its arguments, works out the
 * schema it gives and adds its step to every partition's plan.
 *
 * @module
 */

import { type ExprNode, showExpr, typeOf } from "./_expr.ts";
import { type Task, taskRef } from "./_graph.ts";
import { addStep } from "./_ops.ts";
import {
  type DType,
  DTypeError,
  emptyPart,
  isNumeric,
  missingColumn,
  type Schema,
} from "./_part.ts";
import type { PartPlan } from "./_plan.ts";
import { DataFrame } from "./data_frame.ts";
import { type ExprLike, nodeOf } from "./expr.ts";

/** A frame's partition plans and schema, as the functions here take and give them. */
export interface Framed {
  readonly plans: readonly PartPlan[];
  readonly schema: Schema;
}

/** One name or several, as a list. */
export function list(x: string | readonly string[] | undefined): string[] {
  return x === undefined ? [] : typeof x === "string" ? [x] : [...x];
}

/** Check that every name is a column of `schema`. */
export function checkColumns(schema: Schema, names: readonly string[]): void {
  for (const n of names) {
    if (!schema.names.includes(n)) throw missingColumn(n, schema.names);
  }
}

/** The type of column `name` of `schema`. */
export function typeIn(schema: Schema, name: string): DType {
  return schema.types[schema.names.indexOf(name)];
}

/** What LazyFrame.concat says when not given a list. */
export const CONCAT_LIST = "LazyFrame.concat takes a list of frames";

/** `frames`' partitions one after another, their columns in the first's order. */
export function concatFrames(frames: readonly Framed[]): Framed {
  if (frames.length === 0) {
    throw new RangeError("concat needs at least one frame");
  }
  const schema = frames[0].schema;
  const show = (x: Schema) =>
    x.names.map((n, i) => `${n}: ${x.types[i]}`).join(", ");
  const plans: PartPlan[] = [];
  frames.forEach((f, k) => {
    const s = f.schema;
    const same = s.names.length === schema.names.length &&
      schema.names.every((n, i) =>
        s.names.includes(n) && s.types[s.names.indexOf(n)] === schema.types[i]
      );
    if (!same) {
      throw new DTypeError(
        `concat: frame ${k} has columns { ${show(s)} }, frame 0 has { ${
          show(schema)
        } }`,
      );
    }
    const inOrder = s.names.every((n, i) => n === schema.names[i]);
    plans.push(
      ...(inOrder
        ? f.plans
        : addStep(f.plans, { op: "select", names: schema.names }, schema)),
    );
  });
  return { plans, schema };
}

/** The columns named, in that order. */
export function selectColumns(f: Framed, names: string[]): Framed {
  checkColumns(f.schema, names);
  const out = { names, types: names.map((n) => typeIn(f.schema, n)) };
  return { plans: addStep(f.plans, { op: "select", names }, out), schema: out };
}

/** Columns renamed (`{ old: "new" }`), no two to one name. */
export function renameColumns(
  f: Framed,
  mapping: Record<string, string>,
): Framed {
  const from = Object.keys(mapping);
  checkColumns(f.schema, from);
  const to = from.map((n) => mapping[n]);
  const names = f.schema.names.map((n) => mapping[n] ?? n);
  const dup = names.find((n, i) => names.indexOf(n) !== i);
  if (dup !== undefined) {
    throw new TypeError(`rename: two columns would be named "${dup}"`);
  }
  const out = { names, types: f.schema.types };
  return {
    plans: addStep(f.plans, { op: "rename", from, to }, out),
    schema: out,
  };
}

/** The rows where a bool expression holds, or a `defineTasks` task says so. */
export function filterRows(
  f: Framed,
  predicate: ExprLike | Task<[Record<string, unknown>], boolean>,
): Framed {
  if (typeof predicate === "function") {
    const t = predicate as Task;
    if (typeof t.taskModule !== "string") {
      throw new TypeError(
        "filter takes an expression or a task made by defineTasks",
      );
    }
    const step = { op: "filterRows", task: taskRef(t) } as const;
    return { plans: addStep(f.plans, step, f.schema), schema: f.schema };
  }
  const expr = nodeOf(predicate);
  const t = typeOf(expr, f.schema);
  if (t !== "bool") {
    throw new DTypeError(
      `filter needs a bool expression: ${showExpr(expr)} is ${t}`,
    );
  }
  return {
    plans: addStep(f.plans, { op: "filter", expr }, f.schema),
    schema: f.schema,
  };
}

/** New or replaced columns from expressions or values (a null is float64). */
export function assignColumns(
  f: Framed,
  columns: Record<string, ExprLike>,
): Framed {
  const names = Object.keys(columns);
  const exprs = names.map((n) => nodeOf(columns[n]));
  const types = exprs.map((e) => {
    const t = typeOf(e, f.schema);
    return t === "null" ? "float64" : t;
  });
  return assignNodes(f, names, exprs, types);
}

/** Columns `names` set to `exprs` (of `types`): replaced in place, or added last. */
function assignNodes(
  f: Framed,
  names: string[],
  exprs: ExprNode[],
  types: DType[],
): Framed {
  const outNames = f.schema.names.slice();
  const outTypes = f.schema.types.slice();
  names.forEach((n, k) => {
    const at = outNames.indexOf(n);
    if (at >= 0) outTypes[at] = types[k];
    else {
      outNames.push(n);
      outTypes.push(types[k]);
    }
  });
  const out = { names: outNames, types: outTypes };
  return {
    plans: addStep(f.plans, { op: "assign", names, exprs }, out),
    schema: out,
  };
}

/** Nulls replaced: by one value in every column it fits, or per column. */
export function fillNulls(
  f: Framed,
  value: ExprLike | Record<string, ExprLike>,
): Framed {
  const schema = f.schema;
  const perColumn = typeof value === "object" && value !== null &&
    !(value instanceof Date) &&
    !("node" in value);
  const entries = perColumn
    ? Object.entries(value as Record<string, ExprLike>)
    : schema.names.map((n) => [n, value as ExprLike] as const).filter(
      ([n]) => {
        const t = typeIn(schema, n);
        const v = nodeOf(value as ExprLike);
        const vt = typeOf(v, schema);
        return vt === t || (isNumeric(t) && isNumeric(vt as DType));
      },
    );
  checkColumns(schema, entries.map(([n]) => n));
  const names = entries.map(([n]) => n);
  const exprs: ExprNode[] = entries.map(([n, v]) => ({
    k: "fill",
    a: { k: "col", name: n },
    v: nodeOf(v),
  }));
  const types = exprs.map((e) => typeOf(e, schema) as DType);
  return assignNodes(f, names, exprs, types);
}

/** Rows without nulls in `subset` (default all columns); `how: "all"` drops only rows null in all. */
export function dropNulls(
  f: Framed,
  options: { subset?: string[]; how?: "any" | "all" },
): Framed {
  const subset = options.subset ?? f.schema.names.slice();
  checkColumns(f.schema, subset);
  const step = { op: "dropNull", subset, how: options.how ?? "any" } as const;
  return { plans: addStep(f.plans, step, f.schema), schema: f.schema };
}

/** Columns cast to other types (one type for all, or per column). */
export function castColumns(
  f: Framed,
  types: DType | Record<string, DType>,
): Framed {
  const map = typeof types === "string"
    ? Object.fromEntries(f.schema.names.map((n) => [n, types]))
    : types;
  const names = Object.keys(map);
  checkColumns(f.schema, names);
  const exprs: ExprNode[] = names.map((n) => ({
    k: "cast",
    a: { k: "col", name: n },
    to: map[n],
  }));
  return assignNodes(f, names, exprs, names.map((n) => map[n]));
}

/**
 * A task applied to each partition as a `DataFrame`; run once here on an
 * empty one to learn the columns it gives (Dask's `meta`).
 */
export function mapPartitionsOf<A extends unknown[]>(
  f: Framed,
  task: Task<[DataFrame, ...A], DataFrame | Promise<DataFrame>>,
  args: A,
): Framed {
  if (typeof task?.taskModule !== "string") {
    throw new TypeError("mapPartitions takes a task made by defineTasks");
  }
  const meta = task(new DataFrame(emptyPart(f.schema)), ...args);
  if (meta instanceof Promise) {
    throw new TypeError(
      `mapPartitions: ${task.taskName} returned a Promise for the empty frame its columns are learnt from; return the DataFrame itself when df.length is 0 (it may be async for the others)`,
    );
  }
  if (!(meta instanceof DataFrame)) {
    throw new TypeError(
      `mapPartitions: ${task.taskName} must return a DataFrame`,
    );
  }
  const out = {
    names: meta.part.names,
    types: meta.part.columns.map((c) => c.type),
  };
  const step = {
    op: "map",
    task: taskRef(task as unknown as Task),
    args,
    schema: out,
  } as const;
  return { plans: addStep(f.plans, step, out), schema: out };
}
