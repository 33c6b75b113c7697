// The notify outbox against a real redis-server and the Slack Web API stand-in: order within a thread,
// once per key, in-place updates, Slack's per-channel pace, and Slack's 429s and 500s.
import { Queue, type Worker } from 'bullmq';
import type { Redis } from 'ioredis';
import pino from 'pino';
import { startRedis, type RedisProcess } from '../../sandbox/stack';
import { DEFAULT_CHANNELS, DEFAULT_USERS, startSlackStandIn, type SlackStandIn, type StoredMessage } from '../../sandbox/slack';
import { waitFor } from '../../sandbox/slack/wait-for';
import { createRedisConnection } from '../../src/queue/connection';
import { createNotifyOutbox, flushJobId } from '../../src/queue/notify-outbox';
import { createNotifyOutboxStore, deadLetterKey, outboxKeys, pendingRequestsKey } from '../../src/queue/notify-outbox-store';
import { createNotifyWorker, type NotifyWorkerDeps } from '../../src/queue/notify-worker';
import type { NotifyEntryInput } from '../../src/queue/payloads';
import { QUEUE_NAMES } from '../../src/queue/queue-names';
import { createSlackClient } from '../../src/slack/slack-client';
import { WebAPIRateLimitedError } from '@slack/web-api';

const logger = pino({ level: 'silent' });
const OPS = 'C0MLOPS0001';
const GENERAL = 'C0GENERAL01';
const ALICE = 'U0ALICE001';
const RATE_CHANNELS = Array.from({ length: 20 }, (_, i) => `C0RATE${String(i).padStart(4, '0')}`);
// The stand-in counts posts beyond 10/s per channel (bursts of 2 tolerated); the worker paces at 10/s.
const PER_SECOND = 10;
const INTERVAL_MS = 1000 / PER_SECOND;
const FAST_RETRY = { baseMs: 50, maxMs: 400, maxAttempts: 6 };

let redis: RedisProcess;
let slack: SlackStandIn;
const connections: Redis[] = [];
const closers: (() => Promise<unknown>)[] = [];
let testNo = 0;

beforeAll(async () => {
  [redis, slack] = await Promise.all([
    startRedis(),
    startSlackStandIn({
      // The bot was invited to every channel it posts in.
      channels: [...DEFAULT_CHANNELS, ...RATE_CHANNELS.map((id, i) => ({ id, name: `rate-${i}` }))].map((c) => ({ ...c, botIsMember: true })),
      users: DEFAULT_USERS,
      rateLimit: { mode: 'count', perSecond: PER_SECOND, burst: 2 },
    }),
  ]);
});

afterEach(async () => {
  slack.faults.clear();
  for (const close of closers.splice(0).reverse()) await close();
});

afterAll(async () => {
  for (const c of connections) c.disconnect();
  await Promise.all([redis?.stop(), slack?.stop()]);
});

function connection(forWorker: boolean): Redis {
  const c = createRedisConnection(redis.url, { forWorker, name: 'notify-test' });
  connections.push(c);
  return c;
}

/** A fresh prefix per test: each test sees only its own queue and outbox. */
function bot(overrides: Partial<NotifyWorkerDeps> = {}, standIn: () => SlackStandIn = () => slack) {
  const prefix = `notify-t${++testNo}`;
  const producer = connection(false);
  const store = createNotifyOutboxStore({ connection: producer, prefix });
  // The outbox, and where its thread is as the store records it (the channel, the parent's ts once posted).
  const outbox = Object.assign(createNotifyOutbox({ connection: producer, prefix }), {
    threadOf: async (requestId: string) => {
      const { channel, parentTs } = await store.request(requestId).thread();
      return channel ? { channel, ...(parentTs ? { parentTs } : {}) } : undefined;
    },
  });
  const queue = new Queue(QUEUE_NAMES.notify, { connection: producer, prefix });
  closers.push(() => outbox.close(), () => queue.close());
  const startWorker = (): Worker => {
    const worker = createNotifyWorker({
      connection: connection(true),
      prefix,
      slack: createSlackClient({ token: standIn().botToken, slackApiUrl: standIn().apiUrl, logger }),
      logger,
      perChannelIntervalMs: INTERVAL_MS,
      retry: FAST_RETRY,
      ...overrides,
    });
    closers.push(() => worker.close());
    return worker;
  };
  const drained = async (): Promise<boolean> => {
    const counts = await queue.getJobCounts('active', 'waiting', 'delayed', 'prioritized');
    const busy = Object.values(counts).some((n) => n > 0);
    return !busy && (await producer.scard(pendingRequestsKey(prefix))) === 0;
  };
  return { prefix, producer, outbox, queue, startWorker, drained };
}

type TestOutbox = ReturnType<typeof bot>['outbox'];

function reply(requestId: string, channel: string, n: number, extra: Partial<NotifyEntryInput> = {}): NotifyEntryInput {
  return { requestId, channel, key: `reply-${n}`, op: 'reply', text: `${requestId} step ${n}`, ...extra };
}

function parent(requestId: string, channel: string, text = `${requestId} started`, key = 'parent'): NotifyEntryInput {
  return { requestId, channel, key, op: 'upsert-parent', text };
}

async function threadOf(outbox: Pick<TestOutbox, 'threadOf'>, requestId: string, channel: string): Promise<StoredMessage[]> {
  const thread = await outbox.threadOf(requestId);
  return thread?.parentTs ? slack.thread(channel, thread.parentTs) : [];
}

const texts = (messages: StoredMessage[]): string[] => messages.map((m) => m.text);

/** Waits until each request's parent is posted. */
async function parentsPosted(outbox: Pick<TestOutbox, 'threadOf'>, ids: string[]): Promise<void> {
  await waitFor(async () => (await Promise.all(ids.map((id) => outbox.threadOf(id)))).every((t) => t?.parentTs), { timeoutMs: 10_000, what: 'the parents' });
}

/** Waits until each request's parent reads `<id>: <state>` in the stand-in. */
async function everyParentShows(standIn: SlackStandIn, outbox: Pick<TestOutbox, 'threadOf'>, ids: string[], state: string): Promise<void> {
  await waitFor(
    async () => {
      for (const id of ids) {
        const t = await outbox.threadOf(id);
        if (standIn.message(OPS, t?.parentTs ?? '')?.text !== `${id}: ${state}`) return undefined;
      }
      return true;
    },
    { timeoutMs: 20_000, intervalMs: 50, what: `every parent ${state}` },
  );
}

describe('notify outbox', () => {
  it('posts the parent first, then the replies in order in its thread, through a burst of 429s then 500s', async () => {
    const { outbox, startWorker, drained } = bot();
    slack.faults.next('chat.postMessage', 2, { status: 429, retryAfterSec: 1 });
    slack.faults.next('chat.postMessage', 3, { status: 500 });
    startWorker();

    await outbox.enqueue(parent('req-order', OPS));
    for (let n = 1; n <= 8; n++) await outbox.enqueue(reply('req-order', OPS, n));

    const thread = await waitFor(async () => {
      const t = await threadOf(outbox, 'req-order', OPS);
      return t.length === 9 ? t : undefined;
    }, { timeoutMs: 15_000, what: 'the whole thread' });
    expect(texts(thread)).toEqual(['req-order started', ...Array.from({ length: 8 }, (_, i) => `req-order step ${i + 1}`)]);
    const throttled = slack.callLog.filter((c) => c.method === 'chat.postMessage' && c.status !== 200);
    expect(throttled.map((c) => c.status)).toEqual([429, 429, 500, 500, 500]);
    await waitFor(drained, { timeoutMs: 5_000, what: 'the outbox to drain' });
  });

  it('posts a reply enqueued before its parent only after the parent, in the parent\'s thread', async () => {
    const { outbox, startWorker } = bot();
    startWorker();
    await outbox.enqueue(reply('req-early', OPS, 1));
    await outbox.enqueue(parent('req-early', OPS));
    const thread = await waitFor(async () => {
      const t = await threadOf(outbox, 'req-early', OPS);
      return t.length === 2 ? t : undefined;
    }, { timeoutMs: 10_000, what: 'parent and reply' });
    expect(texts(thread)).toEqual(['req-early started', 'req-early step 1']);
  });

  it('wakes a reply waiting for its parent as soon as the parent is enqueued', async () => {
    const { outbox, startWorker, producer, prefix } = bot();
    startWorker();
    await outbox.enqueue(reply('req-wait', OPS, 1));
    await waitFor(async () => (await producer.hget(outboxKeys(prefix, 'req-wait').thread, 'waiting')) === 'parent', { what: 'the reply to wait' });
    const enqueuedAt = Date.now();
    await outbox.enqueue(parent('req-wait', OPS));
    const thread = await waitFor(async () => {
      const t = await threadOf(outbox, 'req-wait', OPS);
      return t.length === 2 ? t : undefined;
    }, { timeoutMs: 5_000, what: 'parent and reply' });
    expect(texts(thread)).toEqual(['req-wait started', 'req-wait step 1']);
    // Woken, not left to sleep out its 2 s poll.
    expect(Date.now() - enqueuedAt).toBeLessThan(1_000);
  });

  it('updates the parent and an in-thread checklist in place instead of posting them again', async () => {
    const { outbox, startWorker, drained } = bot();
    startWorker();
    const before = slack.messages(GENERAL).length;
    const checklist = (key: string, text: string): NotifyEntryInput => ({ requestId: 'req-upsert', channel: GENERAL, key, op: 'upsert-in-thread', slot: 'checklist', text });
    await outbox.enqueue(parent('req-upsert', GENERAL, 'deploying: queued', 'parent-1'));
    await outbox.enqueue(checklist('check-1', '[ ] model [ ] endpoint'));
    await outbox.enqueue(reply('req-upsert', GENERAL, 1));
    await waitFor(drained, { timeoutMs: 10_000, what: 'the first messages' });
    await outbox.enqueue(checklist('check-2', '[x] model [ ] endpoint'));
    await outbox.enqueue(checklist('check-3', '[x] model [x] endpoint'));
    await outbox.enqueue(parent('req-upsert', GENERAL, 'deploying: done', 'parent-2'));
    await waitFor(drained, { timeoutMs: 10_000, what: 'the updates' });

    const top = slack.messages(GENERAL).slice(before);
    expect(texts(top)).toEqual(['deploying: done']);
    const thread = await threadOf(outbox, 'req-upsert', GENERAL);
    expect(texts(thread)).toEqual(['deploying: done', '[x] model [x] endpoint', 'req-upsert step 1']);
    expect(thread[0]?.edited).toBeDefined();
    expect(thread[1]?.edited).toBeDefined();
    expect(await outbox.threadOf('req-upsert')).toEqual({ channel: GENERAL, parentTs: top[0]?.ts });
  });

  it('replaces the blocks of an edited message, even when the new content has none (chat.update keeps them otherwise)', async () => {
    const { outbox, startWorker, drained } = bot();
    startWorker();
    const buttons = [{ type: 'actions', elements: [{ type: 'button', action_id: 'approve', text: { type: 'plain_text', text: 'Approve' }, value: 'x' }] }];
    await outbox.enqueue({ ...parent('req-blocks', GENERAL, 'approve?', 'parent-1'), blocks: buttons });
    await waitFor(drained, { timeoutMs: 10_000, what: 'the parent' });
    await outbox.enqueue(parent('req-blocks', GENERAL, 'approved', 'parent-2'));
    await waitFor(drained, { timeoutMs: 10_000, what: 'the edit' });
    const [top] = await threadOf(outbox, 'req-blocks', GENERAL);
    expect(top).toMatchObject({ text: 'approved' });
    expect(top?.blocks).toBeUndefined();
  });

  it('shows the newest content of an in-place message, even when its content goes back to an earlier one', async () => {
    const { outbox, startWorker, drained } = bot();
    const callsBefore = slack.callLog.length;
    const status = (text: string): NotifyEntryInput => ({ requestId: 'req-aba', channel: OPS, key: `status:${text}`, op: 'upsert-in-thread', slot: 'status', text });
    await outbox.enqueue(parent('req-aba', OPS));
    // Queued before any worker runs: a burst of updates collapses into one message.
    for (const text of ['Running', 'Queued', 'Running', 'Completed', 'Completed']) await outbox.enqueue(status(text));
    startWorker();
    await waitFor(drained, { timeoutMs: 10_000, what: 'the burst' });
    const calls = slack.callLog.slice(callsBefore).filter((c) => c.args.channel === OPS);
    expect(calls.map((c) => c.method)).toEqual(['chat.postMessage', 'chat.postMessage']);

    await outbox.enqueue(status('Running'));
    await waitFor(drained, { timeoutMs: 10_000, what: 'the update' });
    await outbox.enqueue(status('Completed'));
    await waitFor(drained, { timeoutMs: 10_000, what: 'the return to an earlier content' });
    expect(texts(await threadOf(outbox, 'req-aba', OPS))).toEqual(['req-aba started', 'Completed']);
  });

  it('delivers each key once when enqueued twice and when the worker is replaced mid-drain', async () => {
    const { outbox, startWorker, drained } = bot();
    let worker = startWorker();
    await outbox.enqueue(parent('req-once', OPS));
    for (let n = 1; n <= 20; n++) await outbox.enqueue(reply('req-once', OPS, n));
    await outbox.enqueue(reply('req-once', OPS, 3)); // a retried producer step

    await waitFor(async () => (await threadOf(outbox, 'req-once', OPS)).length >= 5, { timeoutMs: 10_000, what: 'the drain to start' });
    await worker.close();
    const seenAtClose = (await threadOf(outbox, 'req-once', OPS)).length;
    expect(seenAtClose).toBeLessThan(21);
    // While no worker runs, producers enqueue delivered and pending keys again.
    await outbox.enqueue(reply('req-once', OPS, 1));
    await outbox.enqueue(reply('req-once', OPS, 20));
    worker = startWorker();

    await waitFor(drained, { timeoutMs: 15_000, what: 'the outbox to drain' });
    const thread = await threadOf(outbox, 'req-once', OPS);
    expect(texts(thread)).toEqual(['req-once started', ...Array.from({ length: 20 }, (_, i) => `req-once step ${i + 1}`)]);
  });

  it('keeps every channel within its rate when 20 channels each get 10 replies at once', async () => {
    const { outbox, startWorker, drained } = bot({ concurrency: 8 });
    const breachesBefore = slack.rateBreaches();
    startWorker();
    await Promise.all(
      RATE_CHANNELS.map(async (channel, i) => {
        await outbox.enqueue(parent(`req-rate-${i}`, channel));
        await Promise.all(Array.from({ length: 10 }, (_, n) => outbox.enqueue(reply(`req-rate-${i}`, channel, n + 1))));
      }),
    );
    await waitFor(drained, { timeoutMs: 20_000, intervalMs: 50, what: 'every channel to get its thread' });

    for (const [i, channel] of RATE_CHANNELS.entries()) {
      const thread = await threadOf(outbox, `req-rate-${i}`, channel);
      expect(thread).toHaveLength(11);
      // Enqueued concurrently, so only the set is fixed; each was posted once.
      expect(new Set(texts(thread.slice(1)))).toEqual(new Set(Array.from({ length: 10 }, (_, n) => `req-rate-${i} step ${n + 1}`)));
    }
    expect(slack.rateBreaches() - breachesBefore).toBe(0);
  });

  it('gives each thread posting to a busy channel one place in line: its flush job wakes at its turn, not each time the channel comes free', async () => {
    // Twelve threads posting to one channel at once, one post per interval: the last waits ~1.2 s. Asking
    // again whenever the channel came free woke every waiting job each interval (five or six runs a post
    // when 200 jobs ended over 20 channels); a place in line costs two runs: one to take it, one to post.
    const { outbox, startWorker, drained } = bot({ concurrency: 16 });
    const worker = startWorker();
    let runs = 0;
    worker.on('active', () => void (runs += 1));
    const ids = Array.from({ length: 12 }, (_, i) => `req-post-line-${i}`);
    await Promise.all(ids.map((id) => outbox.enqueue(parent(id, RATE_CHANNELS[9]!))));
    await waitFor(drained, { timeoutMs: 10_000, intervalMs: 20, what: 'every parent posted' });
    for (const id of ids) expect((await outbox.threadOf(id))?.parentTs).toBeDefined();
    // Two runs a thread (here 23-24; 90 when every waiter asked again each time).
    expect(runs).toBeLessThanOrEqual(ids.length * 2.5);
  });

  it('keeps one channel waiting out its Retry-After without holding up the others', async () => {
    const { outbox, startWorker } = bot();
    startWorker();
    await outbox.enqueue(parent('req-slow', OPS));
    await waitFor(() => slack.callLog.some((c) => c.args.text === 'req-slow started'), { what: 'the slow parent' });
    const callsBefore = slack.callLog.length;
    slack.faults.next('chat.postMessage', 1, { status: 429, retryAfterSec: 2 });
    await outbox.enqueue(reply('req-slow', OPS, 1));
    await waitFor(() => slack.callLog.slice(callsBefore).some((c) => c.status === 429), { what: 'the 429' });
    const throttledAt = Date.now();

    await outbox.enqueue(parent('req-fast', GENERAL));
    await waitFor(async () => (await threadOf(outbox, 'req-fast', GENERAL)).length === 1, { what: 'the other channel' });
    expect(Date.now() - throttledAt).toBeLessThan(1_500);
    const slow = await waitFor(async () => {
      const t = await threadOf(outbox, 'req-slow', OPS);
      return t.length === 2 ? t : undefined;
    }, { timeoutMs: 6_000, what: 'the throttled reply' });
    expect(Date.now() - throttledAt).toBeGreaterThanOrEqual(1_900);
    expect(texts(slow)).toEqual(['req-slow started', 'req-slow step 1']);
  });

  it('dead-letters a message Slack refuses for good and carries on with the rest of the thread', async () => {
    const { outbox, startWorker, drained, producer, prefix } = bot();
    startWorker();
    await outbox.enqueue(parent('req-dead', OPS));
    await waitFor(async () => (await outbox.threadOf('req-dead'))?.parentTs, { what: 'the parent' });
    slack.faults.next('chat.postMessage', 1, { error: 'invalid_blocks' });
    for (let n = 1; n <= 3; n++) await outbox.enqueue(reply('req-dead', OPS, n));
    await waitFor(drained, { timeoutMs: 10_000, what: 'the outbox to drain' });

    expect(texts(await threadOf(outbox, 'req-dead', OPS))).toEqual(['req-dead started', 'req-dead step 2', 'req-dead step 3']);
    const dead = (await producer.lrange(deadLetterKey(prefix), 0, -1)).map((d) => JSON.parse(d) as { reason: string; entry: { key: string } });
    expect(dead).toEqual([expect.objectContaining({ reason: 'invalid_blocks', entry: expect.objectContaining({ key: 'reply-1' }) })]);
  });

  it('delivers ephemeral and response_url messages once each, outside the thread', async () => {
    const { outbox, startWorker, drained } = bot();
    startWorker();
    const responseUrl = slack.issueResponseUrl(OPS, ALICE);
    const postsBefore = slack.responseUrlPosts().length;
    const ephemeralsBefore = slack.ephemerals(OPS, ALICE).length;
    const ephemeral: NotifyEntryInput = { requestId: 'req-direct', channel: OPS, key: 'only-you', op: 'ephemeral', user: ALICE, text: 'only you see this' };
    const viaUrl: NotifyEntryInput = { requestId: 'req-direct', channel: OPS, key: 'ack', op: 'response-url', responseUrl, text: 'queued your run' };
    await outbox.enqueue(ephemeral);
    await outbox.enqueue(viaUrl);
    await waitFor(drained, { timeoutMs: 10_000, what: 'the outbox to drain' });
    await outbox.enqueue(ephemeral);
    await outbox.enqueue(viaUrl);
    await waitFor(drained, { timeoutMs: 10_000, what: 'the outbox to drain again' });

    const ephemerals = slack.ephemerals(OPS, ALICE).slice(ephemeralsBefore);
    expect(ephemerals.filter((m) => m.via === 'web_api').map((m) => m.text)).toEqual(['only you see this']);
    const posts = slack.responseUrlPosts().slice(postsBefore);
    expect(posts.map((p) => [p.outcome, p.body.text, p.body.response_type])).toEqual([['posted', 'queued your run', 'ephemeral']]);
  });

  it('refuses a thread entry for a different channel than the request\'s thread', async () => {
    const { outbox } = bot();
    await outbox.enqueue(parent('req-channel', OPS));
    await expect(outbox.enqueue(reply('req-channel', GENERAL, 1))).rejects.toMatchObject({ code: 'notify_channel_mismatch' });
  });

  it('fails a flush job whose payload does not fit at once, and the sweep still delivers the request\'s thread', async () => {
    const { outbox, queue, startWorker, drained } = bot({ recoverIntervalMs: 100 });
    await outbox.enqueue(parent('req-badflush', OPS));
    await outbox.enqueue(reply('req-badflush', OPS, 1));
    // The request's only flush job is one an older version wrote, in a shape this one does not read.
    await queue.remove(flushJobId('req-badflush', 0));
    await queue.add('flush', { requestId: 'req-badflush', epochs: 0 }, { jobId: flushJobId('req-badflush', 0), attempts: 5, removeOnFail: true });
    const failures: { reason: string; attemptsMade: number }[] = [];
    const worker = startWorker();
    worker.on('failed', (job, err) => failures.push({ reason: err.message, attemptsMade: job?.attemptsMade ?? -1 }));

    const thread = await waitFor(async () => {
      const t = await threadOf(outbox, 'req-badflush', OPS);
      return t.length === 2 ? t : undefined;
    }, { timeoutMs: 10_000, what: 'the thread, delivered by a flush job the sweep added' });
    expect(texts(thread)).toEqual(['req-badflush started', 'req-badflush step 1']);
    expect(failures).toEqual([{ reason: expect.stringMatching(/invalid payload: epoch/), attemptsMade: 1 }]);
    await waitFor(drained, { timeoutMs: 5_000, what: 'the outbox to drain' });
  });
});

/** A Slack that tolerates no burst at all, whose calls arrive after 0 to `maxLatencyMs`. */
// Slack tolerates short bursts over its 1 message/s; these count any post beyond a burst of two.
function startSlowSlack(maxLatencyMs: number, opts: { minLatencyMs?: number; perSecond?: number } = {}): Promise<SlackStandIn> {
  return startSlackStandIn({
    channels: RATE_CHANNELS.map((id, i) => ({ id, name: `rate-${i}`, botIsMember: true })),
    users: DEFAULT_USERS,
    rateLimit: { mode: 'count', perSecond: opts.perSecond ?? PER_SECOND, burst: 2 },
    latency: { minMs: opts.minLatencyMs ?? 0, maxMs: maxLatencyMs },
  });
}

const STEADY_INTERVAL_MS = 250;
const STEADY_LATENCY_MS = 150;

describe('when Slack is slow to answer', () => {
  // Calls reach Slack after a random 0–80 % of the pace's interval, so two posts whose slots were taken one
  // interval apart could arrive much closer.
  let slow: SlackStandIn;
  let steady: SlackStandIn;
  beforeAll(async () => {
    slow = await startSlowSlack(Math.round(INTERVAL_MS * 0.8));
    steady = await startSlowSlack(STEADY_LATENCY_MS, { minLatencyMs: STEADY_LATENCY_MS, perSecond: 1000 / STEADY_INTERVAL_MS });
  });
  afterAll(async () => {
    await slow?.stop();
    await steady?.stop();
  });

  it('posts one interval apart as they go, not an interval after each answer, when every answer takes a while', async () => {
    // Each call takes 60 % of the interval to reach Slack and be answered. Spaced from answers, a thread's
    // eight replies would reach Slack 1.6 intervals apart; spaced from when they went, one interval (and
    // the job's wake: a longer interval here than elsewhere, so that wake is small beside it).
    const { outbox, startWorker, drained } = bot({ concurrency: 2, perChannelIntervalMs: STEADY_INTERVAL_MS }, () => steady);
    startWorker();
    const channel = RATE_CHANNELS[8]!;
    await outbox.enqueue(parent('req-steady', channel));
    await Promise.all(Array.from({ length: 8 }, (_, n) => outbox.enqueue(reply('req-steady', channel, n + 1))));
    await waitFor(drained, { timeoutMs: 30_000, intervalMs: 50, what: 'the thread to be delivered' });
    const thread = await outbox.threadOf('req-steady');
    const arrivals = steady.thread(channel, thread!.parentTs!).map((m) => Number(m.ts) * 1000);
    expect(arrivals).toHaveLength(9);
    const gaps = arrivals.slice(1).map((at, i) => at - arrivals[i]!).sort((a, b) => a - b);
    // Never much faster than the pace either (the timers' jitter aside).
    expect(gaps[0]).toBeGreaterThanOrEqual(STEADY_INTERVAL_MS * 0.8);
    expect(gaps[Math.floor(gaps.length / 2)]).toBeLessThan(STEADY_INTERVAL_MS + STEADY_LATENCY_MS / 2);
    expect(steady.rateBreaches()).toBe(0);
  });

  it('spaces posts to a channel so none arrives over the pace when answers come at random', async () => {
    const { outbox, startWorker, drained } = bot({ concurrency: 8 }, () => slow);
    startWorker();
    await Promise.all(
      RATE_CHANNELS.slice(0, 4).map(async (channel, i) => {
        await outbox.enqueue(parent(`req-slow-${i}`, channel));
        await Promise.all(Array.from({ length: 8 }, (_, n) => outbox.enqueue(reply(`req-slow-${i}`, channel, n + 1))));
      }),
    );
    await waitFor(drained, { timeoutMs: 30_000, intervalMs: 50, what: 'every channel to get its thread' });
    for (const [i, channel] of RATE_CHANNELS.slice(0, 4).entries()) {
      const thread = await outbox.threadOf(`req-slow-${i}`);
      expect(slow.thread(channel, thread!.parentTs!)).toHaveLength(9);
    }
    expect(slow.rateBreaches()).toBe(0);
  });
});

describe('when a post takes longer than the pace to reach Slack', () => {
  // Each call arrives after 0-2.5 intervals: a post still on its way when the channel's next slot comes
  // must hold that slot, or the next one overtakes it (a busy worker stalling between the two does the same).
  let slower: SlackStandIn;
  beforeAll(async () => {
    slower = await startSlowSlack(Math.round(INTERVAL_MS * 2.5));
  });
  afterAll(() => slower?.stop());

  it('holds the channel while a post is on its way, so none arrives over the pace', async () => {
    // Eight requests to each channel, each with its own thread: their drains run side by side.
    const { outbox, startWorker, drained } = bot({ concurrency: 16 }, () => slower);
    startWorker();
    const requests = RATE_CHANNELS.slice(4, 8).flatMap((channel, c) => Array.from({ length: 8 }, (_, n) => ({ channel, id: `req-slower-${c}-${n}` })));
    await Promise.all(
      requests.map(async ({ channel, id }) => {
        await outbox.enqueue(parent(id, channel));
        await outbox.enqueue(reply(id, channel, 1));
      }),
    );
    await waitFor(drained, { timeoutMs: 30_000, intervalMs: 50, what: 'every channel to get its threads' });
    for (const { channel, id } of requests) {
      const thread = await outbox.threadOf(id);
      expect(slower.thread(channel, thread!.parentTs!)).toHaveLength(2);
    }
    expect(slower.rateBreaches()).toBe(0);
  });
});

describe('the Slack client', () => {
  it('answers a 429 at once with its Retry-After instead of retrying by itself', async () => {
    const client = createSlackClient({ token: slack.botToken, slackApiUrl: slack.apiUrl, logger });
    slack.faults.next('chat.postMessage', 1, { status: 429, retryAfterSec: 30 });
    const started = Date.now();
    const error = await client.chat.postMessage({ channel: OPS, text: 'hi' }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(WebAPIRateLimitedError);
    expect((error as WebAPIRateLimitedError).retryAfter).toBe(30);
    expect(Date.now() - started).toBeLessThan(2_000);
  });
});

describe('when Slack stops taking what the bot says', () => {
  /** Log lines as JSON objects, to count what an operator would read. */
  function capturedLogger() {
    const lines: Array<{ level: number; msg: string; [k: string]: unknown }> = [];
    const log = pino({ level: 'info' }, { write: (line: string) => void lines.push(JSON.parse(line) as (typeof lines)[number]) });
    return { log, lines };
  }

  it('paces in-place edits across the workspace so chat.update stays within its tier', async () => {
    // chat.update allows 120 a minute here with bursts of 3 (Tier 3 scaled up so the test is quick), the
    // bot paces itself a little under it (as at 50 a minute against Slack's "50+"); twelve requests each
    // edit their parent at the same moment.
    const tight = await startSlackStandIn({
      channels: DEFAULT_CHANNELS.map((c) => ({ ...c, botIsMember: true })),
      users: DEFAULT_USERS,
      rateLimit: { mode: 'count', perSecond: PER_SECOND, burst: 2 },
      methodRateLimit: { mode: 'enforce', overrides: { 'chat.update': { perMinute: 120, burst: 3 } } },
    });
    closers.push(() => tight.stop());
    const { outbox, prefix } = bot();
    const worker = createNotifyWorker({
      connection: connection(true),
      prefix,
      slack: createSlackClient({ token: tight.botToken, slackApiUrl: tight.apiUrl, logger }),
      logger,
      perChannelIntervalMs: 1,
      retry: FAST_RETRY,
      editsPerMinute: 100,
      editBurst: 2,
    });
    closers.push(() => worker.close());
    const ids = Array.from({ length: 12 }, (_, i) => `req-edit-${i}`);
    for (const id of ids) await outbox.enqueue(parent(id, OPS, `${id}: queued`, 'p1'));
    await parentsPosted(outbox, ids);
    await Promise.all(ids.map((id) => outbox.enqueue(parent(id, OPS, `${id}: running`, 'p2'))));
    await everyParentShows(tight, outbox, ids, 'running');
    const updates = tight.callLog.filter((c) => c.method === 'chat.update');
    expect(updates.filter((c) => c.status === 429)).toEqual([]);
    expect(tight.methodRateBreaches()['chat.update'] ?? 0).toBe(0);
    expect(updates).toHaveLength(ids.length);
  });

  it('gives each thread waiting for the edit budget one place in line: its flush job wakes at its turn, not each time a token comes back', async () => {
    // One edit every 250 ms for the whole workspace, ten threads editing at once: the last waits ~2.5 s.
    // Asking again whenever a token came back woke every waiting job each 250 ms (dozens of runs, and at
    // thousands of threads a notify queue too busy for the replies); a reserved turn costs two runs.
    const { outbox, startWorker, drained } = bot({ editsPerMinute: 240, editBurst: 1, perChannelIntervalMs: 1 });
    const worker = startWorker();
    const ids = Array.from({ length: 10 }, (_, i) => `req-line-${i}`);
    for (const id of ids) await outbox.enqueue(parent(id, OPS, `${id}: queued`, 'p1'));
    await parentsPosted(outbox, ids);
    await waitFor(drained, { timeoutMs: 10_000, what: 'the parents\' jobs done' });
    let runs = 0;
    worker.on('active', () => void (runs += 1));
    await Promise.all(ids.map((id) => outbox.enqueue(parent(id, OPS, `${id}: running`, 'p2'))));
    await everyParentShows(slack, outbox, ids, 'running');
    await waitFor(drained, { timeoutMs: 10_000, what: 'the edits\' jobs done' });
    // One run to take a place in line and one to send at its turn (a few more when a turn comes while the
    // job is still being delayed).
    expect(runs).toBeLessThanOrEqual(ids.length * 3);
  });

  it('wakes a thread asleep until its edit turn for a reply enqueued at any moment, even while its job was deciding to sleep', async () => {
    // One edit every 10 s: every thread's edit waits its turn, far in the future for most. Replies come in
    // while the flush jobs are busy taking their turns and going to sleep; each must go out at once, not at
    // its thread's edit turn (a reply landing between "nothing to post" and "asleep" used to wait there).
    const { outbox, startWorker } = bot({ editsPerMinute: 6, editBurst: 1, perChannelIntervalMs: 1 });
    startWorker();
    const ids = Array.from({ length: 20 }, (_, i) => `req-wake-${i}`);
    for (const id of ids) await outbox.enqueue(parent(id, OPS, `${id}: queued`, 'p1'));
    await parentsPosted(outbox, ids);
    const replies: Promise<void>[] = [];
    for (const id of ids) {
      void outbox.enqueue(parent(id, OPS, `${id}: running`, 'p2'));
      for (let n = 1; n <= 3; n++) replies.push(new Promise((r) => setTimeout(r, n * 7)).then(() => outbox.enqueue(reply(id, OPS, n))));
    }
    await Promise.all(replies);
    await waitFor(
      async () => {
        for (const id of ids) if ((await threadOf(outbox, id, OPS)).length < 4) return undefined;
        return true;
      },
      { timeoutMs: 6_000, intervalMs: 50, what: 'every reply, long before the threads\' edit turns' },
    );
  });

  it('lets a thread\'s replies go ahead of its edits while the workspace\'s edit budget is spent', async () => {
    // One edit every 5 s: the second parent edit has to wait; the replies behind it do not.
    const { outbox, startWorker, drained } = bot({ editsPerMinute: 12, editBurst: 1 });
    startWorker();
    await outbox.enqueue(parent('req-ahead', GENERAL, 'req-ahead: queued', 'p1'));
    await waitFor(async () => (await outbox.threadOf('req-ahead'))?.parentTs, { what: 'the parent' });
    await outbox.enqueue(parent('req-ahead', GENERAL, 'req-ahead: running', 'p2'));
    await waitFor(async () => (await threadOf(outbox, 'req-ahead', GENERAL))[0]?.text === 'req-ahead: running', { what: 'the first edit' });
    await outbox.enqueue(parent('req-ahead', GENERAL, 'req-ahead: done', 'p3'));
    await outbox.enqueue(reply('req-ahead', GENERAL, 1));
    await outbox.enqueue(reply('req-ahead', GENERAL, 2));
    const thread = await waitFor(async () => {
      const t = await threadOf(outbox, 'req-ahead', GENERAL);
      return t.length === 3 ? t : undefined;
    }, { timeoutMs: 3_000, what: 'the replies, before the parent\'s next edit is allowed' });
    expect(texts(thread)).toEqual(['req-ahead: running', 'req-ahead step 1', 'req-ahead step 2']);
    await waitFor(drained, { timeoutMs: 10_000, what: 'the last edit, once the budget allows it' });
    expect(texts(await threadOf(outbox, 'req-ahead', GENERAL))[0]).toBe('req-ahead: done');
  });

  it('holds the thread while Slack refuses the token: one Slack call, one log line, nothing dropped; delivers once it works again', async () => {
    const { log, lines } = capturedLogger();
    const { outbox, startWorker, producer, prefix, drained } = bot({ logger: log, recoverIntervalMs: 100, tokenHoldMs: 200 });
    startWorker();
    await outbox.enqueue({ ...parent('req-revoked', OPS), requester: ALICE });
    await waitFor(async () => (await outbox.threadOf('req-revoked'))?.parentTs, { what: 'the parent' });
    const callsBefore = slack.callLog.length;
    slack.revokeToken('token_revoked');
    try {
      for (let n = 1; n <= 3; n++) await outbox.enqueue({ ...reply('req-revoked', OPS, n), requester: ALICE });
      await waitFor(async () => (await producer.exists(`${prefix}:outbox:slack-token-refused`)) === 1, { what: 'the refusal flag' });
      // Several sweeps later (each asks auth.test once), still one refused post: no retries.
      await waitFor(() => slack.callLog.slice(callsBefore).filter((c) => c.method === 'auth.test').length >= 3 || undefined, { what: 'three token checks' });
      const calls = slack.callLog.slice(callsBefore);
      expect(calls.filter((c) => c.method === 'chat.postMessage').map((c) => c.error)).toEqual(['token_revoked']);
      expect(lines.filter((l) => l.level >= 50 && /refused the bot token/.test(l.msg))).toHaveLength(1);
      expect(lines.filter((l) => /dead-lettered/.test(l.msg))).toEqual([]);
      expect(await producer.llen(deadLetterKey(prefix))).toBe(0);
      expect(await producer.llen(outboxKeys(prefix, 'req-revoked').entries)).toBe(3);
    } finally {
      slack.restoreToken();
    }
    await waitFor(drained, { timeoutMs: 10_000, what: 'the held replies' });
    expect(texts(await threadOf(outbox, 'req-revoked', OPS))).toEqual(['req-revoked started', 'req-revoked step 1', 'req-revoked step 2', 'req-revoked step 3']);
    expect(await producer.exists(`${prefix}:outbox:slack-token-refused`)).toBe(0);
    expect(lines.some((l) => /accepts the bot token again/.test(l.msg))).toBe(true);
  });

  it('moves the thread to a DM with the requester when its channel is archived after the request was taken', async () => {
    const ARCHIVED_LATER = 'C0ARCHLATE1';
    slack.addConversation({ id: ARCHIVED_LATER, name: 'archived-later', botIsMember: true });
    const { log, lines } = capturedLogger();
    const { outbox, startWorker, producer, prefix, drained } = bot({ logger: log });
    startWorker();
    const entry = (e: NotifyEntryInput): NotifyEntryInput => ({ ...e, requester: ALICE });
    await outbox.enqueue(entry(parent('req-archived', ARCHIVED_LATER)));
    await outbox.enqueue(entry(reply('req-archived', ARCHIVED_LATER, 1)));
    await waitFor(drained, { timeoutMs: 10_000, what: 'the first messages' });
    slack.archive(ARCHIVED_LATER);
    const callsBefore = slack.callLog.length;
    await outbox.enqueue(entry({ requestId: 'req-archived', channel: ARCHIVED_LATER, key: 'status-1', op: 'upsert-in-thread', slot: 'status', text: 'Running' }));
    await outbox.enqueue(entry(reply('req-archived', ARCHIVED_LATER, 2)));
    await outbox.enqueue(entry(parent('req-archived', ARCHIVED_LATER, 'req-archived: done', 'parent-2')));
    await waitFor(drained, { timeoutMs: 10_000, what: 'the rest of the thread' });

    const moved = await outbox.threadOf('req-archived');
    expect(moved?.channel).toBe(`D${ALICE}`);
    const dm = slack.thread(moved?.channel ?? '', moved?.parentTs ?? '');
    expect(texts(dm)).toEqual([
      'req-archived: done',
      expect.stringMatching(/can no longer post in <#C0ARCHLATE1> \(the channel was archived\).*req-archived/),
      'Running',
      'req-archived step 2',
    ]);
    // One refused post, then no more tries at the archived channel; nothing dead-lettered.
    expect(slack.callLog.slice(callsBefore).filter((c) => c.args.channel === ARCHIVED_LATER).map((c) => c.error)).toEqual(['is_archived']);
    expect(await producer.llen(deadLetterKey(prefix))).toBe(0);
    expect(lines.filter((l) => /continues in a DM with the requester/.test(l.msg))).toHaveLength(1);
  });
});
