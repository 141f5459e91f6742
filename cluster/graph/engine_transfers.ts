/**
 * Moving values between the worker engine's workers for the tasks that
 * need them there: a copy node to node (a pull from the holder's data
 * server) or through here (fetch, then put), made once however many tasks
 * wait for it; the bandwidth measured from what moved; and the task whose
 * input could not come (put back to be scheduled, or failed when the value
 * cannot cross to that host).
 *
 * @module
 */

import { ActorDeadError } from "../../actors/errors.ts";
import { CrossingError } from "../../actors/hosts/codec.ts";
import { TaskFailedError } from "./errors.ts";
import type { EngineCore } from "./engine_core.ts";
import {
  needed,
  type TaskRecord,
  type WorkerRecord,
} from "./engine_records.ts";
import { badPeer, lostCopy, workerDied } from "./engine_workers.ts";
import { cannotCross, nextBandwidth, WorkerGone } from "./value_transfers.ts";

/** Copy `d`'s value to `w` (once, however many tasks there need it). */
export function transfer(
  core: EngineCore,
  d: TaskRecord,
  w: WorkerRecord,
): Promise<void> {
  const id = `${w.id} ${d.key}`;
  let t = core.transfers.get(id);
  if (t === undefined) {
    const from = d.holders[0];
    if (from === undefined) {
      return Promise.reject(new Error(`${d.key} is held nowhere`));
    }
    const moved = () => {
      if (!w.alive) throw new WorkerGone("the target worker is gone");
      if (!d.holders.includes(w)) d.holders.push(w);
      w.has.add(d);
    };
    // Node to node when both are cluster nodes and the holder serves its
    // values; else through here (fetch, then put).
    const direct = w.node !== undefined && from.data !== undefined;
    const began = performance.now();
    const bytes = d.bytes;
    core.flushReleases(w);
    t = (direct
      ? pull(core, d.key, from, w).then(() => {
        core.transferred.direct++;
        moved();
      })
      // No deadline: a fetch waits as long as the value takes to come,
      // and ends if the holder dies.
      : from.ref.ask("fetch", [d.key], { timeout: Infinity }).then(
        (values) => {
          if (!Array.isArray(values) || values.length !== 1) {
            badPeer(core, from, "answered a fetch with something else");
            throw new WorkerGone("the holder broke the protocol");
          }
          if (!w.alive) throw new WorkerGone("the target worker is gone");
          core.flushReleases(w);
          w.ref.tell("put", [d.key, values[0]]);
          core.transferred.relayed++;
          moved();
        },
      )).then(() => measured(core, bytes, performance.now() - began), (e) => {
        // The holder died: its death reschedules what needed the value. Or
        // it does not have the value after all: then it is lost there. (A
        // value that cannot cross is still there: see `unmovable`.)
        if (e instanceof WorkerGone) throw e;
        if (e instanceof ActorDeadError) {
          workerDied(core, from, e.message);
        } else if (cannotCross(e) === undefined) {
          lostCopy(core, d, from);
        }
        throw e;
      }).finally(() => core.transfers.delete(id));
    core.transfers.set(id, t);
  }
  return t;
}

/** Have `to` pull `key` from `from`'s data server (node to node). */
function pull(
  core: EngineCore,
  key: string,
  from: WorkerRecord,
  to: WorkerRecord,
): Promise<void> {
  const req = ++core.pullSeq;
  const { promise, resolve, reject } = Promise.withResolvers<void>();
  core.pulls.set(req, { resolve, reject, from, to });
  to.ref.tell("pull", [req, [key], from.data!]);
  return promise;
}

/** A value of `bytes` took `ms` to move: update the bandwidth seen. */
function measured(core: EngineCore, bytes: number, ms: number): void {
  core.metrics.moved(bytes);
  core.bandwidth = nextBandwidth(core.bandwidth, bytes, ms);
}

/**
 * An input of `r` cannot cross to `w` (it holds a function, say): `r`
 * fails, naming why, instead of waiting for a copy that never comes.
 */
export function unmovable(
  core: EngineCore,
  r: TaskRecord,
  w: WorkerRecord,
  e: unknown,
  what = "an input",
): void {
  w.incoming.delete(r);
  if (r.state !== "processing" || r.worker !== w) return;
  r.worker = undefined;
  core.fail(
    r,
    new TaskFailedError(
      r.key,
      r.node.task.taskName,
      new CrossingError(
        `${what} cannot cross to its worker: ${cannotCross(e)}`,
      ),
      r.attempts,
    ),
    false,
  );
  core.pump();
}

/** A transfer failed (a worker died): put `r` back to be scheduled again. */
export function undispatch(
  core: EngineCore,
  r: TaskRecord,
  w: WorkerRecord,
): void {
  w.incoming.delete(r);
  if (r.state !== "processing" || r.worker !== w) return;
  r.worker = undefined;
  r.state = "released";
  if (needed(r)) core.need(r);
  core.pump();
}

/**
 * `w` reported the end of its pull `m` (`[id, req, error?, kind?]`, checked
 * by `badPulled`): it settles (a late end of a pull already ended is
 * ignored).
 */
export function pullEnded(
  core: EngineCore,
  w: WorkerRecord,
  m: unknown[],
): void {
  const [, req, error, kind] = m;
  const pull = core.pulls.get(req as number);
  // (Not there: it ended already, its holder gone; this is its late end.)
  if (pull === undefined || pull.to !== w) return;
  core.pulls.delete(req as number);
  if (typeof error === "string") {
    pull.reject(
      kind === "crossing" ? new CrossingError(error) : new Error(error),
    );
  } else pull.resolve();
}
