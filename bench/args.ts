/**
 * The flags every benchmark takes: `--reps`, `--warmup` and `--scale`,
 * checked the same way everywhere.
 *
 * @module
 */

/** Repetitions, warm-ups and the workload scale of one benchmark run. */
export interface RunShape {
  /** Timed repetitions per figure (the median is reported). */
  reps: number;
  /** Untimed repetitions first. */
  warmup: number;
  /** Shrink the workloads (0, 1]: a smoke run, figures not comparable. */
  scale: number;
}

/** The `parseArgs` options of `--reps`, `--warmup` and `--scale`. */
export const RUN_SHAPE_OPTIONS = {
  reps: { type: "string", default: "5" },
  warmup: { type: "string", default: "1" },
  scale: { type: "string", default: "1" },
} as const;

/** Parse and check `--reps`, `--warmup` and `--scale` (as parseArgs gives them). */
export function runShape(
  values: { reps?: string; warmup?: string; scale?: string },
): RunShape {
  const reps = Number(values.reps ?? "5");
  const warmup = Number(values.warmup ?? "1");
  const scale = Number(values.scale ?? "1");
  if (!(Number.isInteger(reps) && reps >= 1)) {
    throw new RangeError("--reps: a positive integer");
  }
  if (!(Number.isInteger(warmup) && warmup >= 0)) {
    throw new RangeError("--warmup: an integer >= 0");
  }
  if (!(scale > 0 && scale <= 1)) throw new RangeError("--scale: (0, 1]");
  return { reps, warmup, scale };
}
