/**
 * Compiles array/_rng_simd.wat (the SIMD random-number kernels) to the bytes
 * committed in array/_rng_simd_bytes.ts, with npm's `wabt` (pinned in
 * deno.json; needed only here, never at run time).
 *
 * Run: `deno run -A tools/build_rng_wasm.ts` to rewrite the bytes,
 * `--check` to only compare (exit 1 when they differ from the .wat).
 *
 * @module
 */

import wabtInit from "wabt";

const root = new URL("../array/", import.meta.url);
const watFile = new URL("_rng_simd.wat", root);
const bytesFile = new URL("_rng_simd_bytes.ts", root);

/** The .ts source that holds `bytes`. */
export function bytesModule(bytes: Uint8Array): string {
  const b64 = btoa(String.fromCharCode(...bytes));
  const lines: string[] = [];
  for (let i = 0; i < b64.length; i += 76) lines.push(b64.slice(i, i + 76));
  return `/**
 * The bytes of _rng_simd.wat, compiled by tools/build_rng_wasm.ts (do not
 * edit: rerun it).
 *
 * @module
 */

/** The WebAssembly module, in base64. */
export const RNG_SIMD_BASE64: string = [
${lines.map((l) => `  "${l}",`).join("\n")}
].join("");
`;
}

if (import.meta.main) {
  const wabt = await wabtInit();
  const mod = wabt.parseWat("_rng_simd.wat", await Deno.readTextFile(watFile));
  mod.validate();
  const { buffer } = mod.toBinary({});
  mod.destroy();
  const text = bytesModule(buffer);
  if (Deno.args.includes("--check")) {
    const now = await Deno.readTextFile(bytesFile);
    if (now !== text) {
      console.error(
        "array/_rng_simd_bytes.ts is stale: rerun tools/build_rng_wasm.ts",
      );
      Deno.exit(1);
    }
  } else {
    await Deno.writeTextFile(bytesFile, text);
    console.log(`${buffer.length} bytes`);
  }
}
