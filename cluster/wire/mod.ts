/**
 * cluster/wire/: how two troupe peers talk over TCP: length-prefixed
 * msgpack frames with bounds checked before decoding, the authenticated
 * handshake, endpoints (TLS, limits, deadlines, reconnection), secrets, the
 * accept loop, and the peer-to-peer data transfer. This module is the
 * folder's face: the names the cluster entry exports from it.
 *
 * May import: actors/ (preview, msgpack, backoff, errors); nothing of the
 * other cluster/ folders, nor array/, dataframe/, cli/.
 *
 * @example
 * ```ts
 * import { TransportError } from "@troupe/troupe/cluster";
 * const e = new TransportError("timeout", "the peer sent no hello");
 * console.log(e.code); // "timeout"
 * ```
 *
 * @module
 */

export { TransportError } from "./wire_errors.ts";
