/**
 * Screenshots of a page in headless Chromium, at a desktop's and a phone's
 * width, with what a test can check of each PNG: its size, and how much of
 * it is not background (a blank page is all one colour).
 */

import assert from "node:assert/strict";

/** What a screenshot is. */
export interface Shot {
  /** The window width asked for, in px. */
  asked: number;
  /** The PNG's width and height, in px (from its IHDR chunk). */
  width: number;
  height: number;
  /** The fraction of pixels not of the most common colour (0: blank). */
  inked: number;
  /** The PNG itself. */
  png: Uint8Array;
}

/** The widths the dashboard is checked at: a desktop's and a phone's. */
export const WIDTHS = [1400, 390] as const;

/**
 * Screenshots of `url` at each of `widths` (the page's height: 1600 px);
 * when TROUPE_SHOTS names a folder, they are kept there too, to look at.
 */
export async function screenshots(
  url: string,
  widths: readonly number[] = WIDTHS,
): Promise<Shot[]> {
  const dir = await Deno.makeTempDir({ prefix: "troupe-shots-" });
  try {
    const shots: Shot[] = [];
    for (const width of widths) {
      const file = `${dir}/${width}.png`;
      const { success, stderr } = await new Deno.Command("chromium", {
        args: [
          "--headless",
          "--no-sandbox",
          "--disable-gpu",
          "--hide-scrollbars",
          // (the page's event stream never ends: stop waiting for it)
          "--timeout=3000",
          `--window-size=${width},1600`,
          `--screenshot=${file}`,
          url,
        ],
        stdout: "null",
        stderr: "piped",
      }).output();
      assert.ok(success, new TextDecoder().decode(stderr));
      const png = await Deno.readFile(file);
      const keep = Deno.env.get("TROUPE_SHOTS");
      if (keep) await Deno.copyFile(file, `${keep}/${Date.now()}-${width}.png`);
      shots.push({ asked: width, png, ...(await pngInfo(png)) });
    }
    return shots;
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
}

/**
 * A PNG's size, and the fraction of its pixels that differ from its most
 * common colour (8-bit RGB or RGBA, not interlaced: what Chromium writes).
 */
export async function pngInfo(
  png: Uint8Array,
): Promise<{ width: number; height: number; inked: number }> {
  assert.deepEqual(
    [...png.subarray(0, 8)],
    [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a],
    "a PNG signature",
  );
  const view = new DataView(png.buffer, png.byteOffset, png.byteLength);
  const width = view.getUint32(16), height = view.getUint32(20);
  const depth = png[24], colour = png[25], interlace = png[28];
  assert.equal(depth, 8, "8 bits per channel");
  assert.ok(colour === 2 || colour === 6, `RGB or RGBA, got type ${colour}`);
  assert.equal(interlace, 0);
  const channels = colour === 6 ? 4 : 3;
  const idat: Uint8Array[] = [];
  for (let at = 8; at < png.length;) {
    const length = view.getUint32(at);
    const type = new TextDecoder().decode(png.subarray(at + 4, at + 8));
    if (type === "IDAT") idat.push(png.subarray(at + 8, at + 8 + length));
    at += 12 + length;
  }
  const raw = new Uint8Array(
    await new Response(
      new Blob(idat as BlobPart[]).stream().pipeThrough(
        new DecompressionStream("deflate"),
      ),
    ).arrayBuffer(),
  );
  // Undo the scanline filters, then count colours.
  const stride = width * channels;
  assert.equal(raw.length, height * (stride + 1), "the image's bytes");
  const pixels = new Uint8Array(height * stride);
  for (let y = 0; y < height; y++) {
    const filter = raw[y * (stride + 1)];
    const line = raw.subarray(y * (stride + 1) + 1, (y + 1) * (stride + 1));
    const out = pixels.subarray(y * stride, (y + 1) * stride);
    const up = y > 0
      ? pixels.subarray((y - 1) * stride, y * stride)
      : undefined;
    for (let i = 0; i < stride; i++) {
      const a = i >= channels ? out[i - channels] : 0;
      const b = up ? up[i] : 0;
      const c = up && i >= channels ? up[i - channels] : 0;
      let v = line[i];
      if (filter === 1) v += a;
      else if (filter === 2) v += b;
      else if (filter === 3) v += (a + b) >> 1;
      else if (filter === 4) {
        const p = a + b - c,
          pa = Math.abs(p - a),
          pb = Math.abs(p - b),
          pc = Math.abs(p - c);
        v += pa <= pb && pa <= pc ? a : pb <= pc ? b : c;
      }
      out[i] = v & 0xff;
    }
  }
  const counts = new Map<number, number>();
  for (let i = 0; i < pixels.length; i += channels) {
    const rgb = (pixels[i] << 16) | (pixels[i + 1] << 8) | pixels[i + 2];
    counts.set(rgb, (counts.get(rgb) ?? 0) + 1);
  }
  const most = Math.max(...counts.values());
  return { width, height, inked: 1 - most / (width * height) };
}
