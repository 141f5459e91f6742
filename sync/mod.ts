/**
 * Locks, semaphores, conditions, events, barriers, rwlocks, queues and
 * channels, in one isolate and shared across workers.
 *
 * Not built yet: this entry point is reserved so that the package's export
 * map is stable. It exports nothing today.
 *
 * @module
 */

export {};
