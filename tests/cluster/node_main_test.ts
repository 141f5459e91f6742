/** The node program's TLS flags: a certificate needs its key and the CA. */

import assert from "node:assert/strict";
import { nodeMain } from "../../cluster/node_main.ts";

async function errorsOf(args: string[]): Promise<[number, string]> {
  const said: string[] = [];
  const original = console.error;
  console.error = (...parts: unknown[]) => void said.push(parts.join(" "));
  try {
    return [await nodeMain(args), said.join("\n")];
  } finally {
    console.error = original;
  }
}

Deno.test("node: --tls-cert without --tls-key, or without --tls-ca, is a usage error", async () => {
  const [code, said] = await errorsOf(["127.0.0.1:1", "--tls-cert", "c.pem"]);
  assert.equal(code, 2);
  assert.match(said, /--tls-cert and --tls-key go together/);
  const [code2, said2] = await errorsOf([
    "127.0.0.1:1",
    "--tls-cert",
    "c.pem",
    "--tls-key",
    "k.pem",
  ]);
  assert.equal(code2, 2);
  assert.match(said2, /give its --tls-ca too/);
});

Deno.test("node: --nthreads must be a whole number of at least 1", async () => {
  for (const bad of ["0", "1.5", "many"]) {
    const [code, said] = await errorsOf(["127.0.0.1:1", "--nthreads", bad]);
    assert.equal(code, 2);
    assert.match(said, /--nthreads: a whole number >= 1/);
  }
});
