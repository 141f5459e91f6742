/**
 * A node's side of the scheduler's requests on its connection (see
 * `cluster/scheduler/node_requests.ts`): `{ t: "logs", id, lines }` is
 * answered with the last lines of this isolate's log, `{ t: "reload", id
 * }` by re-importing its task modules when next needed (the answer says
 * how many it had), each as `{ t: "reply", id, value }`.
 *
 * @module
 */

import { LOG_LINES, recentLines } from "../graph/worker_log.ts";
import { reloadTaskModules } from "../graph/task_modules.ts";

/**
 * Answer `value` if it is a request from the scheduler (with `send`);
 * whether it was one.
 */
export function answerRequest(
  value: unknown,
  send: (message: unknown) => void,
): boolean {
  const m = value as { t?: unknown; id?: unknown; lines?: unknown };
  if (m?.t !== "logs" && m?.t !== "reload") return false;
  if (!Number.isSafeInteger(m.id)) return true; // (no id: nobody to answer)
  const id = m.id;
  if (m.t === "reload") {
    send({ t: "reply", id, value: { modules: reloadTaskModules() } });
    return true;
  }
  const lines = m.lines;
  if (typeof lines !== "number" || !(lines >= 1 && lines <= LOG_LINES)) {
    send({ t: "reply", id, error: `lines: 1 to ${LOG_LINES}, not ${lines}` });
    return true;
  }
  send({ t: "reply", id, value: recentLines(lines) });
  return true;
}
