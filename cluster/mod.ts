/**
 * Delayed task graphs spread over hosts over TCP, remote actors and the
 * dashboard.
 *
 * Not built yet: this entry point is reserved so that the package's export
 * map is stable. It exports nothing today.
 *
 * @module
 */

export {};
