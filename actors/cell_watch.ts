/**
 * A cell's death watch: watching and unwatching other actors (here, by
 * their cell; elsewhere, through the runtime's watches), the records of
 * those watching it, and a notice that one it watched is gone. Plain
 * functions over the cell's `CellCore`.
 *
 * @module
 */

import type { Address } from "./envelope.ts";
import { LocalRef, refAddress } from "./ref.ts";
import type { AnyRef } from "./ref_types.ts";
import { deliverNotice, type Termination, type WatchRecord } from "./watch.ts";
import { addressKey, type CellCore, DEAD } from "./cell_core.ts";

/** `cell` watches `ref`'s actor: it hears once when that one is gone. */
export function watchRef(cell: CellCore, ref: AnyRef): void {
  if (!(ref instanceof LocalRef)) return watchRemote(cell, refAddress(ref));
  const target = ref.cell;
  const x = cell.extras();
  x.watching ??= new Map();
  const existing = x.watching.get(target);
  if (existing?.active) return;
  const record: WatchRecord = { active: true, watcher: cell };
  x.watching.set(target, record);
  target.addWatch(record);
}

/** `cell` no longer watches `ref`'s actor. */
export function unwatchRef(cell: CellCore, ref: AnyRef): void {
  const x = cell.rare;
  if (!(ref instanceof LocalRef)) {
    const key = addressKey(refAddress(ref));
    const off = x?.remoteWatching?.get(key);
    x?.remoteWatching?.delete(key);
    off?.();
    return;
  }
  const target = ref.cell;
  const record = x?.watching?.get(target);
  if (record === undefined) return;
  x!.watching!.delete(target);
  target.removeWatch(record);
}

/** Watch an actor of another host (or an address not alive here). */
function watchRemote(cell: CellCore, address: Address): void {
  const x = cell.extras();
  x.remoteWatching ??= new Map();
  const key = addressKey(address);
  if (x.remoteWatching.has(key)) return;
  const record: WatchRecord = { active: true, watcher: cell };
  x.remoteWatching.set(key, cell.rt.watches.watch(address, record));
}

/** Someone watches `cell`: told at once if it is already dead. */
export function addWatch(cell: CellCore, record: WatchRecord): void {
  if (cell.status === DEAD) {
    deliverNotice(record, {
      address: cell.address,
      reason: cell.exitReason!,
    });
    return;
  }
  (cell.extras().watchers ??= []).push(record);
}

/** A watch on `cell` ends. */
export function removeWatch(cell: CellCore, record: WatchRecord): void {
  record.active = false;
  const watchers = cell.rare?.watchers;
  if (watchers === undefined) return;
  const i = watchers.indexOf(record);
  if (i >= 0) watchers.splice(i, 1);
}

/** An actor `cell` watched died: hand the notice to `onTerminated` in its turn. */
export function notifyCell(cell: CellCore, notice: Termination): void {
  const onTerminated = cell.behavior.onTerminated;
  const watching = cell.rare?.watching;
  if (watching !== undefined) {
    for (const target of watching.keys()) {
      if (target.address === notice.address) watching.delete(target);
    }
  }
  cell.rare?.remoteWatching?.delete(addressKey(notice.address));
  if (onTerminated === undefined) return;
  cell.enqueueSystem(() => onTerminated(cell.state, notice, cell));
}
