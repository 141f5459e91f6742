// Every stage a peer can hold open has a deadline and a bound: connections
// in their handshake are capped, a dial (TCP, TLS, hello) gives up at its
// deadline or on abort, a peer that speaks TLS where frames were expected
// (or the other way round) is named at once, and the accept loop backs off
// when accepting fails instead of spinning.

import assert from "node:assert/strict";
import {
  connectTransport,
  listenTransport,
  reconnecting,
} from "../../cluster/wire/endpoint.ts";
import { TransportError } from "@troupe/troupe/cluster";
import { acceptLoop } from "../../cluster/wire/accept.ts";
import { until } from "../helpers.ts";
import {
  hasOpenssl,
  makeCerts,
  memoryLogger,
  prefix,
  rawToFramed,
  readToEnd,
  writeAll,
} from "./transport_helpers.ts";

const SECRET = "limits secret";

/** `p`, or a failure after `ms` (a bound against hanging, not a timing assertion). */
async function within<T>(p: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  try {
    return await Promise.race([
      p,
      new Promise<never>((_, reject) => {
        timer = setTimeout(() => reject(new Error(`${what} did not end`)), ms);
      }),
    ]);
  } finally {
    clearTimeout(timer);
  }
}
const certs = (await hasOpenssl()) ? await makeCerts() : undefined;

Deno.test("connections beyond maxPending are closed at once; the silent ones go at their deadline and peers get in again", async () => {
  const { lines, log } = memoryLogger();
  await using server = listenTransport({
    secret: SECRET,
    maxPending: 4,
    handshakeTimeout: 1_000,
    logger: log,
    onConnection: (conn) => conn.send("in"),
  });
  const port = server.addr.port;
  const silent = await Promise.all(
    Array.from(
      { length: 4 },
      () => Deno.connect({ hostname: "127.0.0.1", port }),
    ),
  );
  // Each of the four gets the listener's hello: they are being served.
  const first = new Uint8Array(4);
  for (const s of silent) assert.equal(await s.read(first), 4);
  // More are closed as soon as they are accepted, without a hello.
  const over = await Promise.all(
    Array.from(
      { length: 3 },
      () => Deno.connect({ hostname: "127.0.0.1", port }),
    ),
  );
  for (const o of over) {
    assert.equal((await readToEnd(o)).length, 0, "closed with nothing said");
    o.close();
  }
  assert.equal(
    lines.filter((l) => /closing new connections until there is room/.test(l))
      .length,
    1,
    "one line for the episode",
  );
  // The silent ones are let go at their deadline...
  for (const s of silent) {
    await readToEnd(s);
    s.close();
  }
  // ...and a peer with the secret gets in.
  await using conn = await connectTransport(`127.0.0.1:${port}`, {
    secret: SECRET,
  });
  assert.equal(await conn.receive(), "in");
  await until(
    () => lines.some((l) => /room again, after closing 3 connections/.test(l)),
    "the listener to say there is room again",
  );
});

Deno.test({
  name:
    "a TLS dial to a peer that never answers ends at handshakeTimeout, or at once when aborted",
  ignore: certs === undefined,
  async fn() {
    // Accepts, and never says a word.
    const mute = Deno.listen({ hostname: "127.0.0.1", port: 0 });
    const held: Deno.Conn[] = [];
    const accepting = (async () => {
      for await (const c of mute) held.push(c);
    })();
    try {
      const address = `127.0.0.1:${mute.addr.port}`;
      const timedOut = await within(
        connectTransport(address, {
          secret: SECRET,
          tls: { caCerts: [certs!.ca] },
          handshakeTimeout: 300,
        }).catch((e) => e),
        10_000,
        "the TLS dial",
      );
      assert.ok(timedOut instanceof TransportError, String(timedOut));
      assert.equal(timedOut.code, "timeout");
      assert.match(
        timedOut.message,
        /the TLS handshake with 127\.0\.0\.1:\d+ did not complete within 300 ms/,
      );
      const stop = new AbortController();
      const dial = connectTransport(address, {
        secret: SECRET,
        tls: { caCerts: [certs!.ca] },
        handshakeTimeout: 60_000,
        signal: stop.signal,
      }).catch((e) => e);
      await until(() => held.length === 2, "the second dial to arrive");
      stop.abort(new Error("stopped by the test"));
      const aborted = await within(dial, 10_000, "the aborted dial");
      assert.match(String(aborted), /stopped by the test/);
      // A plain dial's handshake, too.
      const plain = await connectTransport(address, {
        secret: SECRET,
        handshakeTimeout: 300,
      }).catch((e) => e);
      assert.equal(plain.code, "timeout");
    } finally {
      mute.close();
      for (const c of held) c.close();
      await accepting.catch(() => {});
    }
  },
});

Deno.test({
  name:
    "a plain peer and a TLS listener (or the other way round) fail at once, saying the other speaks TLS",
  ignore: certs === undefined,
  async fn() {
    const { lines, log } = memoryLogger();
    await using tlsServer = listenTransport({
      secret: SECRET,
      tls: { cert: certs!.cert, key: certs!.key },
      logger: log,
      onConnection: () => {},
    });
    const address = `127.0.0.1:${tlsServer.addr.port}`;
    const plain = await within(
      connectTransport(address, {
        secret: SECRET,
        handshakeTimeout: 60_000,
      }).catch((e) => e),
      30_000,
      "the plain dial",
    );
    assert.ok(plain instanceof TransportError, String(plain));
    assert.equal(plain.code, "config");
    assert.match(plain.message, /the peer speaks TLS/);
    assert.doesNotMatch(plain.message, /frame length/);
    // A node or client dialling again and again would not help: it stops.
    const attempts = reconnecting(address, { secret: SECRET });
    await assert.rejects(attempts.next(), /speaks TLS/);
    await until(
      () => lines.filter((l) => /TLS handshake failed/.test(l)).length >= 2,
      "the TLS listener to log both",
    );

    const plainLog = memoryLogger();
    await using plainServer = listenTransport({
      secret: SECRET,
      logger: plainLog.log,
      onConnection: () => {},
    });
    const tlsClient = await connectTransport(
      `127.0.0.1:${plainServer.addr.port}`,
      {
        secret: SECRET,
        tls: { caCerts: [certs!.ca] },
        handshakeTimeout: 60_000,
      },
    ).catch((e) => e);
    assert.ok(tlsClient instanceof TransportError, String(tlsClient));
    assert.equal(tlsClient.code, "io");
    await until(
      () => plainLog.lines.some((l) => /the peer speaks TLS/.test(l)),
      "the plain listener to say the peer speaks TLS",
    );
  },
});

Deno.test("the accept loop backs off when accepting fails, says so once, and says when it accepts again", async () => {
  const failures = 6;
  let calls = 0;
  const { lines, log } = memoryLogger();
  const served: string[] = [];
  const pair = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const client = await Deno.connect({
    hostname: "127.0.0.1",
    port: pair.addr.port,
  });
  const accepted = await pair.accept();
  pair.close();
  let done = false;
  // A listener out of file descriptors for a while, then one connection.
  const fake = {
    accept(): Promise<Deno.Conn> {
      calls++;
      if (calls <= failures) {
        return Promise.reject(new Error("Too many open files (os error 24)"));
      }
      if (calls === failures + 1) return Promise.resolve(accepted);
      done = true;
      return Promise.reject(new Deno.errors.BadResource("closed"));
    },
  } as unknown as Deno.Listener;
  const stop = new AbortController();
  await acceptLoop(fake, (c) => {
    served.push("one");
    c.close();
  }, { log, name: "test", signal: stop.signal });
  client.close();
  assert.ok(done);
  assert.deepEqual(served, ["one"]);
  assert.equal(calls, failures + 2);
  assert.equal(lines.length, 2, lines.join("\n"));
  assert.match(
    lines[0],
    /^test: accept failed \(Too many open files .*\): backing off/,
  );
  assert.match(lines[1], /^test: accepting again, after 6 failed accepts$/);
});

Deno.test("a frame declared big and sent small makes the reader allocate about what was sent, not what was declared", async () => {
  const [raw, framed] = await rawToFramed({ maxFrame: 256 << 20 });
  const before = Deno.memoryUsage().external;
  await writeAll(raw, prefix(200 << 20)); // 200 MiB declared...
  await writeAll(raw, new Uint8Array(10_000)); // ...10 KB sent
  raw.close();
  const reason = await framed.closed;
  // (measured before a collection could free what the reader allocated)
  const grown = Deno.memoryUsage().external - before;
  assert.match(
    reason.error?.message ?? "",
    /stream ended 10000 bytes into a 209715200-byte frame/,
  );
  assert.ok(grown < 16 << 20, `${grown >> 20} MiB allocated for 10 KB`);
});
