import assert from 'node:assert/strict';
import { test } from 'node:test';
import { InflightList, type InflightEntry } from '../../src/server/inflight.js';

function entry(name: string): InflightEntry & { name: string } {
  return { name, inflightSlot: -1 };
}

test('add and delete keep size and slots consistent, in any order', () => {
  const list = new InflightList<ReturnType<typeof entry>>();
  const items = ['a', 'b', 'c', 'd', 'e'].map(entry);
  for (const item of items) list.add(item);
  assert.equal(list.size, 5);
  list.delete(items[1]); // from the middle: the last one takes its slot
  list.delete(items[4]); // the last one
  list.delete(items[0]); // the first one
  assert.equal(list.size, 2);
  assert.deepEqual(list.snapshot().map((item) => item.name).sort(), ['c', 'd']);
  for (const item of list.snapshot()) assert.equal(list.snapshot()[item.inflightSlot], item);
  for (const gone of [items[0], items[1], items[4]]) assert.equal(gone.inflightSlot, -1);
});

test('deleting an entry twice, or one never added, changes nothing', () => {
  const list = new InflightList<ReturnType<typeof entry>>();
  const a = entry('a');
  const b = entry('b');
  list.add(a);
  list.delete(b);
  list.delete(a);
  list.delete(a);
  assert.equal(list.size, 0);
  list.add(b);
  assert.deepEqual(list.snapshot(), [b]);
});

test('a snapshot can be walked while its entries are deleted', () => {
  const list = new InflightList<ReturnType<typeof entry>>();
  const items = Array.from({ length: 100 }, (_, i) => entry(String(i)));
  for (const item of items) list.add(item);
  let seen = 0;
  for (const item of list.snapshot()) {
    list.delete(item);
    seen++;
  }
  assert.equal(seen, 100);
  assert.equal(list.size, 0);
});
