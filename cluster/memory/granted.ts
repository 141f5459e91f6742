/**
 * Whether a permission is already granted, asked without prompting: the
 * memory manager reads the machine's memory, the temp dir's name and stale
 * spill directories only when it may, so that a program run without those
 * permissions is not stopped by a prompt it did not ask for.
 *
 * @module
 */

/**
 * Whether `descriptor` is granted now (never prompts).
 *
 * @example
 * ```ts
 * import { granted } from "./granted.ts";
 * console.log(granted({ name: "env", variable: "TMPDIR" }));
 * ```
 */
export function granted(descriptor: Deno.PermissionDescriptor): boolean {
  try {
    return Deno.permissions.querySync(descriptor).state === "granted";
  } catch {
    return false;
  }
}
