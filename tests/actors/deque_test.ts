import assert from "node:assert/strict";
import { Deque } from "../../actors/deque.ts";
import { seeded } from "../helpers.ts";

Deno.test("Deque matches an array model under random operations", () => {
  const rand = seeded(42);
  const q = new Deque<number>();
  const model: number[] = [];
  for (let i = 0; i < 100_000; i++) {
    const op = Math.floor(rand() * 4);
    if (op === 0) {
      q.push(i);
      model.push(i);
    } else if (op === 1) {
      q.unshift(i);
      model.unshift(i);
    } else if (op === 2) assert.equal(q.shift(), model.shift());
    else assert.equal(q.pop(), model.pop());
    assert.equal(q.length, model.length);
  }
  assert.deepEqual([...q], model);
  for (let i = 0; i < model.length; i += 97) assert.equal(q.at(i), model[i]);
  assert.equal(q.at(-1), undefined);
  assert.equal(q.at(model.length), undefined);
});

Deno.test("Deque releases taken items and clears", () => {
  const q = new Deque<object>();
  for (let i = 0; i < 1000; i++) q.push({ i });
  for (let i = 0; i < 1000; i++) assert.deepEqual(q.shift(), { i });
  assert.equal(q.shift(), undefined);
  assert.equal(q.pop(), undefined);
  q.push({ i: 1 });
  q.clear();
  assert.equal(q.length, 0);
  assert.deepEqual([...q], []);
});
