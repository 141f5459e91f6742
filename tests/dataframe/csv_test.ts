import assert from "node:assert/strict";
import { col, CsvParseError, readCsv } from "@troupe/troupe/dataframe";
import { makeRows, sameRecords, toCsvText } from "./helpers.ts";

const inline = { placement: "inline" } as const;

async function withDir(fn: (dir: string) => Promise<void>): Promise<void> {
  const dir = await Deno.makeTempDir({ prefix: "troupe-df-csv-" });
  try {
    await fn(dir);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
}

Deno.test("readCsv reads back every row exactly, whatever the blocksize (boundaries inside quoted fields)", async () => {
  await withDir(async (dir) => {
    const rows = makeRows(400);
    const path = `${dir}/rows.csv`;
    const text = toCsvText(rows);
    await Deno.writeTextFile(path, text);
    let insideQuotes = 0;
    for (const blocksize of [7, 13, 61, 256, 1000, 1 << 20]) {
      const df = readCsv(path, { blocksize });
      assert.deepEqual(df.dtypes, {
        k: "int32",
        s: "string",
        x: "float64",
        b: "bool",
        d: "date",
      });
      const got = (await df.compute(inline)).toRecords();
      sameRecords(got, rows, `blocksize ${blocksize}`);
      // Count the block starts that fall inside a quoted field: the case under test.
      const bytes = new TextEncoder().encode(text);
      for (let at = blocksize; at < bytes.length; at += blocksize) {
        let q = 0;
        for (let i = 0; i < at; i++) if (bytes[i] === 34) q++;
        if (q % 2 === 1) insideQuotes++;
      }
    }
    assert.ok(
      insideQuotes > 10,
      `only ${insideQuotes} boundaries fell inside quotes`,
    );
  });
});

Deno.test("readCsv: CRLF records, a partition boundary inside a quoted newline, unicode", async () => {
  await withDir(async (dir) => {
    const path = `${dir}/crlf.csv`;
    const head = 'id,note\r\n1,"first ""quoted"" note"\r\n2,"';
    const text = head +
      'line one\r\nline two, with a comma"\r\n3,日本語\r\n4,\r\n';
    await Deno.writeTextFile(path, text);
    // The second block starts right inside the quoted field of id 2.
    const blocksize = new TextEncoder().encode(head).length + 3;
    const df = readCsv(path, { blocksize });
    assert.ok(df.npartitions >= 2);
    const out = await df.compute(inline);
    assert.deepEqual(out.toRecords(), [
      { id: 1, note: 'first "quoted" note' },
      { id: 2, note: "line one\r\nline two, with a comma" },
      { id: 3, note: "日本語" },
      { id: 4, note: null },
    ]);
  });
});

Deno.test("readCsv: dtypes fix inferred types, columns pick, header names, delimiter, no quoting", async () => {
  await withDir(async (dir) => {
    const path = `${dir}/semi.csv`;
    await Deno.writeTextFile(
      path,
      'a;b;c\n1;2024-01-02;x"y\n2;2024-03-04 05:06:07;z\n',
    );
    const df = readCsv(path, {
      delimiter: ";",
      quote: null,
      dtypes: { a: "float64" },
    });
    assert.deepEqual(df.dtypes, { a: "float64", b: "timestamp", c: "string" });
    const out = await df.compute(inline);
    assert.deepEqual(out.toRecords(), [
      { a: 1, b: new Date("2024-01-02T00:00:00Z"), c: 'x"y' },
      { a: 2, b: new Date("2024-03-04T05:06:07Z"), c: "z" },
    ]);
    // Only the columns a step or the sink reads are parsed; a select reads its own.
    assert.equal(await df.select("c").count(inline), 2);
    assert.equal(await df.filter(col("a").gt(1)).count(inline), 1);
    const picked = await readCsv(path, {
      delimiter: ";",
      quote: null,
      columns: ["c"],
    }).compute(inline);
    assert.deepEqual(picked.columns, ["c"]);
    const noHeader = `${dir}/noheader.csv`;
    await Deno.writeTextFile(noHeader, "1,true\n2,false\n");
    const named = await readCsv(noHeader, { header: ["n", "ok"] }).compute(
      inline,
    );
    assert.deepEqual(named.toRecords(), [{ n: 1, ok: true }, {
      n: 2,
      ok: false,
    }]);
    const plain = await readCsv(noHeader, { header: false }).compute(inline);
    assert.deepEqual(plain.columns, ["column_1", "column_2"]);
  });
});

Deno.test("readCsv: a header alone is zero rows; one row; a glob of several files", async () => {
  await withDir(async (dir) => {
    await Deno.writeTextFile(`${dir}/a.csv`, "x,y\n");
    await Deno.writeTextFile(`${dir}/b.csv`, "x,y\n1,2\n");
    await Deno.writeTextFile(`${dir}/c.csv`, "x,y\n3,4");
    const empty = await readCsv(`${dir}/a.csv`, {
      dtypes: { x: "int32", y: "int32" },
    }).compute(inline);
    assert.equal(empty.length, 0);
    assert.deepEqual(empty.columns, ["x", "y"]);
    const one = await readCsv(`${dir}/b.csv`).compute(inline);
    assert.deepEqual(one.toRecords(), [{ x: 1, y: 2 }]);
    const all = readCsv(`${dir}/[bc].csv`);
    assert.equal(all.npartitions, 2);
    assert.deepEqual((await all.compute(inline)).toRecords(), [{ x: 1, y: 2 }, {
      x: 3,
      y: 4,
    }]);
    await Deno.writeTextFile(`${dir}/d.csv`, "x,z\n1,2\n");
    assert.throws(() => readCsv(`${dir}/[bd].csv`), /header \(x, z\) differs/);
    assert.throws(() => readCsv(`${dir}/nothing-*.csv`), Deno.errors.NotFound);
  });
});

Deno.test("a malformed field names the file, the line and the column (also from a worker)", async () => {
  await withDir(async (dir) => {
    const path = `${dir}/bad.csv`;
    // Line 3 holds the rest of a quoted newline; line 4 has the bad value.
    await Deno.writeTextFile(path, 'n,s\n1,"a\nb"\n2x,c\n');
    const df = readCsv(path, { dtypes: { n: "int32" } });
    for (const placement of ["inline", "worker"] as const) {
      const err = await df.compute({ placement, workers: 1 }).catch((e) => e);
      assert.ok(err instanceof CsvParseError, `${placement}: ${err}`);
      assert.equal(err.file, path);
      assert.equal(err.line, 4);
      assert.equal(err.column, 1);
      assert.equal(err.columnName, "n");
      assert.match(
        err.message,
        /bad\.csv:4: column 1 \("n"\): "2x" is not an int32/,
      );
    }
    await Deno.writeTextFile(path, "a,b\n1,2\n3\n");
    const few = await readCsv(path).compute(inline).catch((e) => e);
    assert.ok(few instanceof CsvParseError);
    assert.match(few.message, /:3: .*too few fields: expected 2, got 1/);
    await Deno.writeTextFile(path, 'a,b\n1,"open\n');
    const open = await readCsv(path, { dtypes: { b: "string" } }).compute(
      inline,
    ).catch((e) => e);
    assert.match(String(open), /not closed/);
    await Deno.writeTextFile(path, "a\n1\n" + "9".repeat(12) + "\n");
    const big = await readCsv(path, { sampleBytes: 4 }).compute(inline).catch((
      e,
    ) => e);
    assert.ok(big instanceof CsvParseError, String(big));
  });
});

Deno.test("a range larger than the read buffer (records cut between reads) reads back exactly", async () => {
  await withDir(async (dir) => {
    const path = `${dir}/big.csv`;
    const n = 200_000;
    const lines = ["i,x,s"];
    let sum = 0;
    for (let i = 0; i < n; i++) {
      const x = (i % 1000) / 8;
      sum += x;
      lines.push(`${i},${x},"t${i % 13}, ok"`);
    }
    await Deno.writeTextFile(path, lines.join("\r\n"));
    const df = readCsv(path, { blocksize: "3MB" });
    const out = await df.groupBy([]).agg({
      i: ["count", "max"],
      x: "sum",
      s: "nunique",
    }).compute(inline);
    assert.deepEqual(out.toRecords(), [{
      i_count: n,
      i_max: n - 1,
      x: sum,
      s: 13,
    }]);
  });
});
