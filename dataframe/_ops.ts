/**
 * The operations that cross partitions, on plans: tree reductions of
 * partial aggregates, hash shuffles (group-by with many groups, joins,
 * duplicates), the sample-then-split sort, repartitioning. Each returns the
 * plans of the new partitions; their sources are producers that lower to
 * the graph (once per lowering, however many partitions share them).
 *
 * @module
 */

import type { AggSpec } from "./_agg.ts";
import type { Schema } from "./_part.ts";
import {
  call,
  type CsvFile,
  filesOf,
  type Lazy,
  lowerAll,
  type LowerCtx,
  type PartPlan,
  type Producer,
  type StepPlan,
} from "./_plan.ts";
import type { JoinSpec } from "./_spec.ts";
import { type AggPost, dfTasks } from "./_tasks.ts";

/** Partitions whose source is one producer each. */
export function fromProducers(
  producers: readonly Producer[],
  schema: Schema,
): PartPlan[] {
  return producers.map((p) => ({
    source: { kind: "parts", inputs: [p], schema },
    steps: [],
    schemas: [schema],
  }));
}

/** Each plan with one more step. */
export function addStep(
  plans: readonly PartPlan[],
  step: StepPlan,
  out: Schema,
): PartPlan[] {
  return plans.map((p) => ({
    ...p,
    steps: [...p.steps, step],
    schemas: [...p.schemas, out],
  }));
}

/**
 * `n` producers that share one lowering of `build` (which gives all `n`
 * lazy values at once: the outputs of one shuffle or reduction).
 */
export function sharedProducers(
  n: number,
  files: readonly CsvFile[],
  build: (ctx: LowerCtx) => Lazy[],
): Producer[] {
  const memo = new WeakMap<LowerCtx, Lazy[]>();
  const all = (ctx: LowerCtx) => {
    let v = memo.get(ctx);
    if (v === undefined) memo.set(ctx, v = build(ctx));
    return v;
  };
  return Array.from(
    { length: n },
    (_, j) => ({ files, lower: (ctx: LowerCtx) => all(ctx)[j] }),
  );
}

/** Fan-in of each level of a tree reduction (as Dask's split_every). */
const FAN_IN = 8;

/** Reduce partials pairwise-by-8 with `combine`, then `finish`. */
function treeReduce(
  partials: Lazy[],
  spec: AggSpec,
  post: AggPost,
  name: string,
): Lazy {
  let level = partials;
  let depth = 0;
  while (level.length > FAN_IN) {
    const next: Lazy[] = [];
    for (let i = 0; i < level.length; i += FAN_IN) {
      next.push(
        call(
          dfTasks.combine,
          `${name}-combine-${depth}`,
          i / FAN_IN,
          level.slice(i, i + FAN_IN) as never,
          spec,
        ),
      );
    }
    level = next;
    depth++;
  }
  return call(dfTasks.finish, `${name}-agg`, 0, level as never, spec, post);
}

/**
 * A group-by: partial aggregates fused into each partition's task, then a
 * tree reduction (one output partition) or, with `splitOut` > 1, a hash
 * shuffle of the partials into `splitOut` reductions.
 */
export function aggregate(
  plans: readonly PartPlan[],
  spec: AggSpec,
  post: AggPost,
  splitOut: number,
  out: Schema,
  name = "groupby",
): PartPlan[] {
  const files = filesOf(plans);
  const producers = sharedProducers(splitOut, files, (ctx) => {
    const partials = lowerAll(
      plans,
      { kind: "agg", spec, split: splitOut },
      `${name}-chunk`,
      ctx,
    );
    if (splitOut === 1) return [treeReduce(partials, spec, post, name)];
    return Array.from({ length: splitOut }, (_, j) =>
      treeReduce(
        partials.map((p, i) =>
          call(dfTasks.pick, `${name}-shuffle`, i * splitOut + j, p as never, j)
        ),
        spec,
        post,
        `${name}-${j}`,
      ));
  });
  return fromProducers(producers, out);
}

/** Hash-split each partition by `by` into `n` buckets; bucket j of every partition. */
function shuffle(
  plans: readonly PartPlan[],
  by: readonly string[],
  n: number,
  name: string,
  ctx: LowerCtx,
): Lazy[][] {
  const splits = lowerAll(
    plans,
    { kind: "split", by, n },
    `${name}-split`,
    ctx,
  );
  return Array.from(
    { length: n },
    (_, j) =>
      splits.map((s, i) =>
        call(dfTasks.pick, `${name}-bucket`, i * n + j, s as never, j)
      ),
  );
}

/** One producer of all of `plans`' rows in one partition. */
export function gather(
  plans: readonly PartPlan[],
  schema: Schema,
  name = "gather",
): Producer {
  return sharedProducers(1, filesOf(plans), (ctx) => {
    const parts = lowerAll(plans, { kind: "part" }, `${name}-part`, ctx);
    return [
      parts.length === 1
        ? parts[0]
        : call(dfTasks.concat, `${name}-concat`, 0, parts as never, schema),
    ];
  })[0];
}

/** A distributed sort: sample keys, pick boundaries, split by range, sort each range. */
export function sortPlans(
  plans: readonly PartPlan[],
  by: readonly string[],
  ascending: readonly boolean[],
  schema: Schema,
): PartPlan[] {
  const n = plans.length;
  const step: StepPlan = { op: "sort", by, ascending };
  if (n <= 1) return addStep(plans, step, schema);
  const producers = sharedProducers(n, filesOf(plans), (ctx) => {
    const samples = lowerAll(
      plans,
      { kind: "sample", by, n: 256 },
      "sort-sample",
      ctx,
    );
    const bounds = call(
      dfTasks.sortBounds,
      "sort-bounds",
      0,
      samples as never,
      [...ascending],
      n,
    );
    const splits = lowerAll(
      plans,
      { kind: "range", by, ascending, bounds: bounds as never },
      "sort-split",
      ctx,
    );
    return Array.from({ length: n }, (_, j) =>
      call(
        dfTasks.concat,
        "sort-range",
        j,
        splits.map((s, i) =>
          call(dfTasks.pick, "sort-bucket", i * n + j, s as never, j)
        ) as never,
        schema,
      ));
  });
  return addStep(fromProducers(producers, schema), step, schema);
}

/** Drop duplicate rows (by `subset`): within each partition, then across a shuffle. */
export function dedupePlans(
  plans: readonly PartPlan[],
  subset: readonly string[],
  schema: Schema,
): PartPlan[] {
  const step: StepPlan = { op: "dedupe", subset };
  const local = addStep(plans, step, schema);
  if (plans.length <= 1) return local;
  const n = plans.length;
  const producers = sharedProducers(
    n,
    filesOf(plans),
    (ctx) =>
      shuffle(local, subset, n, "dedupe", ctx).map((bucket, j) =>
        call(dfTasks.concat, "dedupe-bucket", j, bucket as never, schema)
      ),
  );
  return addStep(fromProducers(producers, schema), step, schema);
}

/**
 * A join: the right side broadcast to every left partition when it is one
 * partition (inner and left joins), else both sides hash-shuffled by key.
 */
export function mergePlans(
  left: readonly PartPlan[],
  right: readonly PartPlan[],
  spec: JoinSpec,
  leftSchema: Schema,
  rightSchema: Schema,
  out: Schema,
  broadcast: boolean,
): PartPlan[] {
  if (broadcast && (spec.how === "inner" || spec.how === "left")) {
    return addStep(left, {
      op: "join",
      right: gather(right, rightSchema, "merge-right"),
      spec,
    }, out);
  }
  const n = Math.max(left.length, right.length);
  const producers = sharedProducers(
    n,
    [...filesOf(left), ...filesOf(right)],
    (ctx) => {
      const l = shuffle(left, spec.leftOn, n, "merge-left", ctx);
      const r = shuffle(right, spec.rightOn, n, "merge-right", ctx);
      return l.map((bucket, j) =>
        call(
          dfTasks.join,
          "merge",
          j,
          bucket as never,
          r[j] as never,
          spec,
          leftSchema,
          rightSchema,
        )
      );
    },
  );
  return fromProducers(producers, out);
}

/** `n` partitions of the same rows in the same order. */
export function repartitionPlans(
  plans: readonly PartPlan[],
  n: number,
  schema: Schema,
): PartPlan[] {
  const m = plans.length;
  if (n === m) return plans.slice();
  const producers = sharedProducers(n, filesOf(plans), (ctx) => {
    const parts = lowerAll(plans, { kind: "part" }, "repartition-part", ctx);
    if (m === 0) {
      return Array.from(
        { length: n },
        (_, j) => call(dfTasks.concat, "repartition", j, [] as never, schema),
      );
    }
    if (n < m) {
      return Array.from({ length: n }, (_, j) => {
        const group = parts.slice(
          Math.floor(j * m / n),
          Math.floor((j + 1) * m / n),
        );
        return call(dfTasks.concat, "repartition", j, group as never, schema);
      });
    }
    const out: Lazy[] = [];
    for (let i = 0; i < m; i++) {
      const k = Math.floor((i + 1) * n / m) - Math.floor(i * n / m);
      for (let p = 0; p < k; p++) {
        out.push(
          call(
            dfTasks.piece,
            "repartition-piece",
            out.length,
            parts[i] as never,
            p,
            k,
          ),
        );
      }
    }
    return out;
  });
  return fromProducers(producers, schema);
}
