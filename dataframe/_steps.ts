/**
 * The steps of a pipeline over one batch (row by row: select, rename,
 * filter, assign, dropNull, a broadcast join's probe, head) or over a whole
 * partition (mapPartitions, dropDuplicates, a local sort, tail).
 *
 * @module
 */

import { sliceRows, takeRows } from "./_builder.ts";
import { evalExpr, selectRows } from "./_eval.ts";
import { KeyEncoder } from "./_keys.ts";
import { joinTable, probe } from "./_join.ts";
import { bit, columnOf, type Part, schemaOf } from "./_part.ts";
import { argsort } from "./_sort.ts";
import type { Step } from "./_spec.ts";
import { recordsOf } from "./_records.ts";
import { resolveTask } from "./_graph.ts";

/** Per-step state across the batches of one partition (head's count). */
export interface StepState {
  seen: number;
}

/** Apply a row-local step to a batch. */
export async function applyStep(
  step: Step,
  part: Part,
  state: StepState,
): Promise<Part> {
  switch (step.op) {
    case "select":
      return {
        names: step.names,
        columns: step.names.map((n) => columnOf(part, n)),
        length: part.length,
      };
    case "rename":
      return {
        names: part.names.map((n) => {
          const i = step.from.indexOf(n);
          return i < 0 ? n : step.to[i];
        }),
        columns: part.columns,
        length: part.length,
      };
    case "filter": {
      const [idx, k] = selectRows(step.expr, part);
      return k === part.length ? part : takeRows(part, idx, k);
    }
    case "filterRows": {
      const fn = await resolveTask(step.task);
      const rows = recordsOf(part);
      const idx = new Int32Array(part.length);
      let k = 0;
      for (let i = 0; i < rows.length; i++) if (fn(rows[i])) idx[k++] = i;
      return k === part.length ? part : takeRows(part, idx, k);
    }
    case "assign": {
      const names = part.names.slice();
      const columns = part.columns.slice();
      // Every expression sees the columns as they were before the step.
      const values = step.exprs.map((e) => evalExpr(e, part));
      step.names.forEach((name, k) => {
        const at = names.indexOf(name);
        if (at >= 0) columns[at] = values[k];
        else {
          names.push(name);
          columns.push(values[k]);
        }
      });
      return { names, columns, length: part.length };
    }
    case "dropNull": {
      const cols = step.subset.map((n) => columnOf(part, n)).filter((c) =>
        c.valid !== null
      );
      if (cols.length === 0) return part;
      const idx = new Int32Array(part.length);
      let k = 0;
      for (let i = 0; i < part.length; i++) {
        let nulls = 0;
        for (const c of cols) if (!bit(c.valid, i)) nulls++;
        const drop = step.how === "any"
          ? nulls > 0
          : nulls === step.subset.length;
        if (!drop) idx[k++] = i;
      }
      return k === part.length ? part : takeRows(part, idx, k);
    }
    case "join":
      return probe(
        part,
        joinTable(
          step.right,
          step.spec,
          step.spec.leftOn.map((n) => columnOf(part, n).type),
        ),
        step.spec,
      );
    case "head": {
      const left = step.n - state.seen;
      state.seen += part.length;
      return left >= part.length ? part : sliceRows(part, 0, Math.max(0, left));
    }
    default:
      return applyWhole(step, part);
  }
}

/** Apply a step that needs the whole partition. */
export async function applyWhole(step: Step, part: Part): Promise<Part> {
  switch (step.op) {
    case "map": {
      const fn = await resolveTask(step.task);
      const { DataFrame } = await import("./data_frame.ts");
      const out = await fn(new DataFrame(part), ...step.args);
      if (!(out instanceof DataFrame)) {
        throw new TypeError(
          `mapPartitions: ${step.task.name} must return a DataFrame, got ${
            Object.prototype.toString.call(out)
          }`,
        );
      }
      return checkSchema(out.part, step);
    }
    case "dedupe": {
      const enc = new KeyEncoder(
        step.subset,
        step.subset.map((n) => columnOf(part, n).type),
        true,
      );
      const ids = new Int32Array(part.length);
      enc.encode(step.subset.map((n) => columnOf(part, n)), part.length, ids);
      const seen = new Uint8Array(enc.count);
      const idx = new Int32Array(part.length);
      let k = 0;
      for (let i = 0; i < part.length; i++) {
        if (seen[ids[i]]) continue;
        seen[ids[i]] = 1;
        idx[k++] = i;
      }
      return k === part.length ? part : takeRows(part, idx, k);
    }
    case "sort":
      return part.length < 2
        ? part
        : takeRows(part, argsort(part, step.by, step.ascending), part.length);
    case "tail":
      return part.length <= step.n
        ? part
        : sliceRows(part, part.length - step.n, part.length);
    default:
      throw new Error(`not a whole-partition step: ${step.op}`);
  }
}

function checkSchema(part: Part, step: Step & { op: "map" }): Part {
  const got = schemaOf(part);
  const want = step.schema;
  const same = got.names.length === want.names.length &&
    got.names.every((n, i) =>
      n === want.names[i] && got.types[i] === want.types[i]
    );
  if (!same) {
    const show = (s: typeof got) =>
      s.names.map((n, i) => `${n}: ${s.types[i]}`).join(", ");
    throw new TypeError(
      `mapPartitions: ${step.task.name} returned columns { ${
        show(got)
      } }, not { ${show(want)} } as on an empty partition`,
    );
  }
  return part;
}
