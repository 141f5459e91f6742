/**
 * A short tour of troupe, printed step by step: the actor core, threads and
 * subprocesses, a pool, a task graph on a local cluster, and a group-by over
 * a CSV. The tour itself lives in `cli/demo.ts`, so that the `troupe`
 * command (`troupe demo`, also compiled into one binary) runs it too.
 *
 * Run it with `deno task demo` (`deno run --allow-read --allow-write
 * --allow-run --allow-net=127.0.0.1`: worker and process hosts load modules
 * and start subprocesses; the cluster's nodes connect over loopback TCP; the
 * dataframe step writes a CSV to a temporary directory).
 *
 * @module
 */

import { runDemo } from "../cli/demo.ts";

await runDemo();
