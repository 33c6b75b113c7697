// The cache of rarely changing workspace answers (datastores, the data-plane host): kept for its TTL,
// shared by callers asking at once, never keeping an error.
import { createLookupCache } from '../../src/azureml/lookup-cache';

it('keeps an answer for its TTL, then asks again', async () => {
  const clock = { t: 0 };
  const cache = createLookupCache({ ttlMs: 1_000, now: () => clock.t });
  let reads = 0;
  const load = async () => ++reads;
  expect(await cache.get('ds', load)).toBe(1);
  clock.t += 999;
  expect(await cache.get('ds', load)).toBe(1);
  clock.t += 1;
  expect(await cache.get('ds', load)).toBe(2);
  cache.forget('ds');
  expect(await cache.get('ds', load)).toBe(3);
});

it('gives callers asking at once one read', async () => {
  const cache = createLookupCache({ ttlMs: 1_000 });
  let reads = 0;
  let release!: (v: string) => void;
  const load = () => {
    reads += 1;
    return new Promise<string>((r) => (release = r));
  };
  const both = Promise.all([cache.get('ws', load), cache.get('ws', load)]);
  release('origin');
  expect(await both).toEqual(['origin', 'origin']);
  expect(reads).toBe(1);
});

it('does not keep an error: the next caller asks again', async () => {
  const cache = createLookupCache({ ttlMs: 60_000 });
  await expect(cache.get('ds', async () => Promise.reject(new Error('throttled')))).rejects.toThrow('throttled');
  expect(await cache.get('ds', async () => 'found')).toBe('found');
});

it('keeps at most maxEntries answers, dropping the oldest', async () => {
  const cache = createLookupCache({ ttlMs: 60_000, maxEntries: 2 });
  let reads = 0;
  const load = async () => ++reads;
  await cache.get('a', load);
  await cache.get('b', load);
  await cache.get('c', load);
  expect(await cache.get('b', load)).toBe(2);
  expect(await cache.get('a', load)).toBe(4);
});
