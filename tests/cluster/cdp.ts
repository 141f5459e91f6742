/**
 * Headless Chromium driven over the DevTools protocol, for a test that
 * must act on a page (a click) and read what it shows after: `open(url)`
 * starts Chromium on the page; `evaluate` runs an expression there and
 * gives its value; `close` ends the browser.
 */

import { until } from "../helpers.ts";

/** A page in a headless Chromium. */
export interface Browser extends AsyncDisposable {
  /** The value of `expression` in the page (awaited if a promise). */
  evaluate(expression: string): Promise<unknown>;
  /** Wait until `expression` is truthy in the page (at most `limitMs`). */
  waitFor(expression: string, what: string, limitMs?: number): Promise<void>;
  /** A PNG of the whole page at `width` px wide. */
  screenshot(width: number): Promise<Uint8Array>;
}

/** Start headless Chromium on `url`. */
export async function openPage(url: string): Promise<Browser> {
  const profile = await Deno.makeTempDir({ prefix: "troupe-chromium-" });
  const chromium = new Deno.Command("chromium", {
    args: [
      "--headless",
      "--no-sandbox",
      "--disable-gpu",
      "--remote-debugging-port=0",
      `--user-data-dir=${profile}`,
      "about:blank",
    ],
    stdin: "null",
    stdout: "null",
    stderr: "piped",
  }).spawn();
  let socket: WebSocket | undefined;
  const close = async () => {
    socket?.close();
    try {
      chromium.kill("SIGTERM");
    } catch { /* exited */ }
    await chromium.status;
    await reading.catch(() => {});
    await Deno.remove(profile, { recursive: true }).catch(() => {});
  };
  // Chromium says where its DevTools listen on stderr; the rest is read
  // and dropped (a pipe left full would stall it).
  const listening = Promise.withResolvers<string>();
  const reading = (async () => {
    let text = "";
    for await (
      const chunk of chromium.stderr.pipeThrough(new TextDecoderStream())
    ) {
      text += chunk;
      const m = /DevTools listening on (ws:\/\/\S+)/.exec(text);
      if (m) listening.resolve(m[1]);
      if (text.length > 100_000) text = text.slice(-1_000);
    }
    listening.reject(new Error(`chromium ended: ${text.slice(-2_000)}`));
  })();
  try {
    const browserWs = await listening.promise;
    const port = new URL(browserWs).port;
    let pageWs: string | undefined;
    await until(
      async () => {
        const res = await fetch(`http://127.0.0.1:${port}/json/list`);
        const targets = await res.json() as {
          type: string;
          webSocketDebuggerUrl: string;
        }[];
        pageWs = targets.find((t) => t.type === "page")?.webSocketDebuggerUrl;
        return pageWs !== undefined;
      },
      "chromium's page",
      20_000,
    );
    const ws = socket = new WebSocket(pageWs!);
    await new Promise((resolve, reject) => {
      ws.onopen = resolve;
      ws.onerror = reject;
    });
    let seq = 0;
    const answers = new Map<number, (m: Record<string, unknown>) => void>();
    ws.onmessage = (e) => {
      const m = JSON.parse(e.data);
      answers.get(m.id)?.(m);
      answers.delete(m.id);
    };
    const send = (method: string, params: unknown) =>
      new Promise<Record<string, unknown>>((resolve) => {
        const id = ++seq;
        answers.set(id, resolve);
        ws.send(JSON.stringify({ id, method, params }));
      });
    await send("Page.navigate", { url });
    const evaluate = async (expression: string) => {
      const m = await send("Runtime.evaluate", {
        expression,
        awaitPromise: true,
        returnByValue: true,
      });
      const result = m.result as {
        result?: { value?: unknown };
        exceptionDetails?: unknown;
      };
      if (result?.exceptionDetails !== undefined) {
        throw new Error(
          `in the page: ${JSON.stringify(result.exceptionDetails)}`,
        );
      }
      return result?.result?.value;
    };
    return {
      evaluate,
      waitFor: (expression, what, limitMs = 20_000) =>
        until(async () => Boolean(await evaluate(expression)), what, limitMs),
      screenshot: async (width) => {
        await send("Emulation.setDeviceMetricsOverride", {
          width,
          height: 1600,
          deviceScaleFactor: 1,
          mobile: width < 600,
        });
        const m = await send("Page.captureScreenshot", {
          format: "png",
          captureBeyondViewport: true,
        });
        const data = (m.result as { data: string }).data;
        return Uint8Array.from(atob(data), (c) => c.charCodeAt(0));
      },
      [Symbol.asyncDispose]: close,
    };
  } catch (e) {
    await close();
    throw e;
  }
}
