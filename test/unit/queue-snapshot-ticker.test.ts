// The timer that keeps each workspace's job-status snapshot fresh while watch steps wait for wakes.
import { createSnapshotTicker } from '../../src/queue/snapshot-ticker';

const tick = (ms: number) => new Promise((r) => setTimeout(r, ms));

it('asks each snapshot on every tick, one refresh at a time per snapshot, until stopped', async () => {
  const errors: unknown[] = [];
  const ticker = createSnapshotTicker({ everyMs: 10, onError: (err) => errors.push(err) });
  let quick = 0;
  let slowStarted = 0;
  let release!: () => void;
  const slow = new Promise<void>((r) => (release = r));
  ticker.add({ refreshIfDue: async () => void (quick += 1) });
  ticker.add({
    refreshIfDue: async () => {
      slowStarted += 1;
      await slow;
      throw new Error('redis gone');
    },
  });
  await tick(60);
  expect(quick).toBeGreaterThanOrEqual(3);
  // Still under way: not asked again meanwhile.
  expect(slowStarted).toBe(1);
  release();
  await tick(30);
  expect(errors[0]).toEqual(new Error('redis gone'));
  expect(slowStarted).toBeGreaterThanOrEqual(2);
  ticker.stop();
  const after = quick;
  await tick(40);
  expect(quick).toBe(after);
});
