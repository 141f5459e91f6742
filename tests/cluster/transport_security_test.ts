// The handshake and the endpoints: shared secret (mutual HMAC), protocol
// versions, silent and garbage peers, loopback-only without a secret, TLS,
// and reconnection with backoff.

import assert from "node:assert/strict";
import {
  connectTransport,
  listenTransport,
  readSecret,
  reconnecting,
  type TransportListener,
} from "../../cluster/wire/endpoint.ts";
import { FramedConnection } from "../../cluster/wire/framing.ts";
import { PROTOCOL_VERSION } from "../../cluster/wire/handshake.ts";
import { TransportError } from "@troupe/troupe/cluster";
import {
  hasOpenssl,
  makeCerts,
  memoryLogger,
  prefix,
  readToEnd,
  run,
  until,
  writeAll,
} from "./transport_helpers.ts";

const SECRET = "correct horse battery staple";

function echoServer(
  options: { secret?: string; handshakeTimeout?: number } = {},
): { server: TransportListener; lines: string[] } {
  const { lines, log } = memoryLogger();
  const server = listenTransport({
    ...options,
    logger: log,
    onConnection: async (conn) => {
      for await (const m of conn) conn.send(m);
    },
  });
  return { server, lines };
}

function addr(server: TransportListener): string {
  return `127.0.0.1:${server.addr.port}`;
}

Deno.test("with the right secret both sides authenticate and exchange", async () => {
  const { server } = echoServer({ secret: SECRET });
  await using _ = server;
  await using conn = await connectTransport(addr(server), {
    secret: SECRET,
    nodeId: "client-1",
  });
  assert.deepEqual(
    conn.peer && {
      nodeId: conn.peer.nodeId,
      authenticated: conn.peer.authenticated,
      tls: conn.peer.tls,
    },
    { nodeId: server.nodeId, authenticated: true, tls: false },
  );
  conn.send({ hello: [1, 2, 3] });
  assert.deepEqual(await conn.receive(), { hello: [1, 2, 3] });
  await until(() => server.connections.size === 1);
  assert.equal([...server.connections][0].peer?.nodeId, "client-1");
});

Deno.test("a wrong secret, no secret, another version, a silent peer and garbage are refused while a healthy connection keeps going", async () => {
  const { server, lines } = echoServer({
    secret: SECRET,
    handshakeTimeout: 300,
  });
  await using _ = server;
  const good = await connectTransport(addr(server), { secret: SECRET });
  let echoed = 0;
  let stop = false;
  const traffic = (async () => {
    for (let i = 0; !stop; i++) {
      good.send(i);
      assert.equal(await good.receive(), i);
      echoed++;
    }
  })();

  // Wrong secret: the client is told, the listener logs it.
  const wrong = await connectTransport(addr(server), { secret: "guess" })
    .catch((e) => e);
  assert.ok(wrong instanceof TransportError);
  assert.equal(wrong.code, "auth");
  assert.match(
    wrong.message,
    /refused the connection: auth: wrong shared secret/,
  );
  await until(() => lines.some((l) => /wrong shared secret/.test(l)));

  // No secret on the client side.
  const none = await connectTransport(addr(server)).catch((e) => e);
  assert.equal(none.code, "auth");
  assert.match(none.message, /requires a shared secret and this side has none/);
  await until(() =>
    lines.some((l) =>
      /the peer has no shared secret and this side requires/.test(l)
    )
  );

  // Another protocol version: a hand-made hello.
  const raw = await Deno.connect({
    hostname: "127.0.0.1",
    port: server.addr.port,
  });
  const other = new FramedConnection(raw);
  other.send({
    t: "hello",
    protocol: PROTOCOL_VERSION + 1,
    node: "from-the-future",
    nonce: new Uint8Array(32).fill(1),
    auth: true,
    maxFrame: 1 << 20,
  });
  const replies: unknown[] = [];
  for await (const m of other) replies.push(m);
  assert.deepEqual((replies[0] as { t: string }).t, "hello");
  assert.deepEqual((replies[1] as { code: string }).code, "version");
  await until(() =>
    lines.some((l) => /version: the peer speaks protocol 2/.test(l))
  );

  // A silent peer: dropped after the handshake timeout.
  const silent = await Deno.connect({
    hostname: "127.0.0.1",
    port: server.addr.port,
  });
  await readToEnd(silent); // the listener's hello, then EOF
  silent.close();
  await until(() =>
    lines.some((l) => /timeout: the peer did not complete/.test(l))
  );

  // Garbage, a 4 GiB prefix and a frame over the small pre-auth limit.
  for (
    const bytes of [
      new TextEncoder().encode("GET / HTTP/1.1\r\nHost: x\r\n\r\n"),
      prefix(0xffff_ffff),
      prefix(100_000),
      new Uint8Array([0, 0, 0, 3, 0xc1, 0xc1, 0xc1]),
    ]
  ) {
    const bad = await Deno.connect({
      hostname: "127.0.0.1",
      port: server.addr.port,
    });
    await writeAll(bad, bytes);
    await readToEnd(bad);
    bad.close();
  }
  await until(() =>
    lines.filter((l) => /refused .*: (oversize|malformed|protocol)/.test(l))
      .length >= 4
  );
  assert.match(
    lines.join("\n"),
    /frame length 100000 exceeds the 65536-byte limit/,
  );

  // The healthy connection went on all along.
  const before = echoed;
  await until(() => echoed > before + 10);
  stop = true;
  await traffic;
  assert.equal(server.connections.size, 1);
  await good.close();
});

Deno.test("a listener with no secret meets a client with one: the client refuses", async () => {
  const { server } = echoServer();
  await using _ = server;
  await assert.rejects(
    connectTransport(addr(server), { secret: SECRET }),
    /auth: the peer has no shared secret and this side requires one/,
  );
  await using plain = await connectTransport(addr(server));
  assert.equal(plain.peer?.authenticated, false);
});

Deno.test("without a secret, listening or dialling off loopback is refused before any socket", () => {
  for (const hostname of ["0.0.0.0", "::", "10.1.2.3"]) {
    assert.throws(
      () => listenTransport({ hostname, onConnection: () => {} }),
      (e: unknown) =>
        e instanceof TransportError && e.code === "config" &&
        /refusing to listen on .* without a shared secret/.test(e.message),
    );
  }
  assert.throws(
    () =>
      listenTransport({ hostname: "0.0.0.0", secret: "", onConnection() {} }),
    /the shared secret is empty/,
  );
  return assert.rejects(
    connectTransport("10.1.2.3:8786"),
    /config: refusing to connect to 10.1.2.3 without a shared secret/,
  );
});

Deno.test({
  name: "TLS with a CA and certificate made by openssl",
  ignore: !(await hasOpenssl()),
  async fn() {
    const certs = await makeCerts();
    const { lines, log } = memoryLogger();
    await using server = listenTransport({
      secret: SECRET,
      tls: { cert: certs.cert, key: certs.key },
      logger: log,
      onConnection: async (conn) => {
        for await (const m of conn) conn.send(m);
      },
    });
    await using conn = await connectTransport(addr(server), {
      secret: SECRET,
      tls: { caCerts: [certs.ca] },
    });
    assert.equal(conn.peer?.tls, true);
    const big = new Uint8Array(3_000_000).fill(9);
    conn.send({ over: "tls" });
    conn.send(big);
    assert.deepEqual(await conn.receive(), { over: "tls" });
    assert.deepEqual(await conn.receive(), big);

    // Without the CA the certificate is not trusted.
    const untrusted = await connectTransport(addr(server), {
      secret: SECRET,
      tls: {},
    }).catch((e) => e);
    assert.equal(untrusted.code, "auth");
    assert.match(untrusted.message, /invalid peer certificate.*caCerts/);
    // A plain TCP client to the TLS listener is refused and logged.
    const plain = await connectTransport(addr(server), {
      secret: SECRET,
      handshakeTimeout: 2000,
    }).catch((e) => e);
    assert.ok(plain instanceof TransportError, String(plain));
    await until(() => lines.filter((l) => /refused/.test(l)).length >= 2);
  },
});

Deno.test("reconnecting retries with backoff until the listener appears", async () => {
  const probe = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const port = probe.addr.port;
  probe.close();
  const delays: number[] = [];
  let server: TransportListener | undefined;
  const stop = new AbortController();
  const got: unknown[] = [];
  for await (
    const conn of reconnecting(`127.0.0.1:${port}`, {
      signal: stop.signal,
      backoff: { minMs: 5, maxMs: 20, jitter: 0 },
      onRetry: ({ delay, error }) => {
        assert.ok(error instanceof TransportError && error.code === "io");
        delays.push(delay);
        if (delays.length === 4) {
          server = listenTransport({
            port,
            onConnection: (c) => c.send("up"),
          });
        }
      },
    })
  ) {
    got.push(await conn.receive());
    await conn.close();
    stop.abort();
  }
  assert.deepEqual(got, ["up"]);
  assert.deepEqual(delays, [5, 10, 20, 20]);
  await server?.close();
});

Deno.test("reconnecting stops on abort, gives up after maxAttempts, and does not retry a wrong secret", async () => {
  const probe = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const port = probe.addr.port;
  probe.close();
  const stop = new AbortController();
  let tries = 0;
  const yielded: unknown[] = [];
  for await (
    const conn of reconnecting(`127.0.0.1:${port}`, {
      signal: stop.signal,
      backoff: { minMs: 60_000, maxMs: 60_000 },
      onRetry: () => {
        tries++;
        stop.abort(); // while it waits a minute
      },
    })
  ) yielded.push(conn);
  assert.equal(tries, 1);
  assert.deepEqual(yielded, []);

  await assert.rejects(
    async () => {
      for await (
        const _ of reconnecting(`127.0.0.1:${port}`, {
          maxAttempts: 3,
          backoff: { minMs: 1, maxMs: 2 },
        })
      ) { /* never connects */ }
    },
    /io: gave up after 3 failed attempts/,
  );

  const { server } = echoServer({ secret: SECRET });
  await using _ = server;
  let retried = 0;
  await assert.rejects(
    async () => {
      for await (
        const _ of reconnecting(addr(server), {
          secret: "guess",
          onRetry: () => retried++,
        })
      ) { /* refused */ }
    },
    /auth/,
  );
  assert.equal(retried, 0);

  // A live connection is closed by the abort.
  const live = new AbortController();
  for await (
    const conn of reconnecting(addr(server), {
      secret: SECRET,
      signal: live.signal,
    })
  ) {
    live.abort();
    assert.equal((await conn.closed).kind, "local");
  }
});

Deno.test("readSecret reads a file (without its newline) or an environment variable", async () => {
  const dir = (await run("mktemp", ["-d"])).trim();
  try {
    await run("bash", ["-c", `printf 'from-file\\n' > "${dir}/secret"`]);
    await run("bash", ["-c", `: > "${dir}/empty"`]);
    assert.equal(await readSecret({ file: `${dir}/secret` }), "from-file");
    await assert.rejects(readSecret({ file: `${dir}/empty` }), /is empty/);
  } finally {
    await run("rm", ["-rf", dir]);
  }
  Deno.env.set("TROUPE_TEST_SECRET", "from-env");
  try {
    assert.equal(await readSecret({ env: "TROUPE_TEST_SECRET" }), "from-env");
  } finally {
    Deno.env.delete("TROUPE_TEST_SECRET");
  }
  assert.equal(await readSecret({}), undefined);
});
