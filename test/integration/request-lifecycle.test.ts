// The request lifecycle against a real redis-server and the Slack Web API stand-in, with the real request
// store, audit trail, approval store and notify outbox (and its worker posting to Slack): each step says
// status, audit, parent and final reply in one order, and a request that ended never shows running again.
import type { Worker } from 'bullmq';
import type { Redis } from 'ioredis';
import pino from 'pino';
import { startRedis, type RedisProcess } from '../../sandbox/stack';
import { DEFAULT_CHANNELS, DEFAULT_USERS, startSlackStandIn, type SlackStandIn, type StoredMessage } from '../../sandbox/slack';
import { waitFor } from '../../sandbox/slack/wait-for';
import { commandSchema } from '../../src/domain/command-grammar';
import { message, section, type SlackMessage } from '../../src/slack/blocks/block-kit';
import { createSlackClient } from '../../src/slack/slack-client';
import { createApprovalStore, type ApprovalStore } from '../../src/queue/approval-store';
import { createAuditTrail, type AuditTrail } from '../../src/queue/audit-trail';
import { createRedisConnection } from '../../src/queue/connection';
import { createNotifyOutbox, type NotifyOutbox } from '../../src/queue/notify-outbox';
import { createNotifyOutboxStore, type NotifyOutboxStore } from '../../src/queue/notify-outbox-store';
import { createNotifyWorker } from '../../src/queue/notify-worker';
import type { NotifyEntryInput } from '../../src/queue/payloads';
import { createRequestLifecycle } from '../../src/queue/request-lifecycle';
import { createRequestStore, type RequestStatus, type RequestStore } from '../../src/queue/request-store';

const logger = pino({ level: 'silent' });
const CHANNEL = 'C0MLOPS0001';
const ALICE = 'U0ALICE001';
const CAROL = 'U0CAROL001';
const requester = { userId: ALICE, teamId: 'T0SANDBOX1', channelId: CHANNEL };
const subject = { kind: 'command' as const, command: commandSchema.parse({ verb: 'delete', endpointName: 'fraud-ep' }) };

let redis: RedisProcess;
let slack: SlackStandIn;
const connections: Redis[] = [];
let outbox: NotifyOutbox;
let outboxStore: NotifyOutboxStore;
let worker: Worker;
let requests: RequestStore;
let audit: AuditTrail;
let approvals: ApprovalStore;
let requestNo = 0;

/** What the stores said at the moment each Slack entry was handed to the outbox. */
interface Said {
  op: NotifyEntryInput['op'];
  key: string;
  status?: RequestStatus;
  audit: string[];
}
let said: Said[] = [];

function connection(forWorker: boolean): Redis {
  const c = createRedisConnection(redis.url, { forWorker, name: 'lifecycle-test' });
  connections.push(c);
  return c;
}

beforeAll(async () => {
  [redis, slack] = await Promise.all([
    startRedis(),
    startSlackStandIn({ channels: DEFAULT_CHANNELS.map((c) => ({ ...c, botIsMember: true })), users: DEFAULT_USERS }),
  ]);
  const prefix = 'lifecycle-test';
  const producer = connection(false);
  outbox = createNotifyOutbox({ connection: producer, prefix });
  outboxStore = createNotifyOutboxStore({ connection: producer, prefix });
  requests = createRequestStore({ connection: producer, prefix });
  audit = createAuditTrail({ connection: producer, prefix });
  approvals = createApprovalStore({ connection: producer, prefix });
  worker = createNotifyWorker({
    connection: connection(true),
    prefix,
    slack: createSlackClient({ token: slack.botToken, slackApiUrl: slack.apiUrl, logger }),
    logger,
    perChannelIntervalMs: 20,
  });
}, 30_000);

afterAll(async () => {
  await worker?.close();
  await outbox?.close();
  for (const c of connections) c.disconnect();
  await Promise.all([redis?.stop(), slack?.stop()]);
});

beforeEach(() => {
  said = [];
});

/** A queued request and its lifecycle, with the outbox watched (not replaced) to see the order of things. */
async function aRequest(opts: { subject?: typeof subject | undefined } = { subject }) {
  const requestId = `req-life-${++requestNo}`;
  await requests.create({ requestId, kind: 'ops', requester, channel: CHANNEL, summary: 'delete fraud-ep' });
  const watched: NotifyOutbox = {
    ...outbox,
    async enqueue(entry) {
      const record = await requests.get(requestId);
      said.push({ op: entry.op, key: entry.key, ...(record ? { status: record.status } : {}), audit: (await audit.list({ requestId })).map((e) => e.type) });
      await outbox.enqueue(entry);
    },
  };
  const lifecycle = createRequestLifecycle(
    { outbox: watched, requests, audit, approvals, now: Date.now },
    { requestId, requester, action: 'delete', ...(opts.subject ? { subject: opts.subject } : {}) },
  );
  return { requestId, lifecycle };
}

const final = (text: string): SlackMessage => message(`:white_check_mark: <@${ALICE}> ${text}`, [section(`:white_check_mark: <@${ALICE}> ${text}`)]);
const textOf = (m: StoredMessage): string => `${m.text}\n${JSON.stringify(m.blocks ?? [])}`;

async function slackThread(requestId: string, length: number): Promise<StoredMessage[]> {
  return waitFor(
    async () => {
      const thread = await outboxStore.request(requestId).thread();
      const messages = thread?.parentTs ? slack.thread(CHANNEL, thread.parentTs).map((m) => slack.message(CHANNEL, m.ts) ?? m) : [];
      return messages.length === length ? messages : undefined;
    },
    { what: `a thread of ${length} messages`, timeoutMs: 10_000 },
  );
}

it('says an outcome in one order: status, audit, parent, then the final reply, broadcast', async () => {
  const { requestId, lifecycle } = await aRequest();
  await lifecycle.started({ firstAttempt: true });
  await lifecycle.running();
  await lifecycle.succeeded(final('fraud-ep is deleted'), { audit: { endpoint: 'fraud-ep' } });

  expect(said).toEqual([
    { op: 'upsert-parent', key: expect.any(String), status: 'running', audit: ['started'] },
    { op: 'upsert-parent', key: expect.any(String), status: 'succeeded', audit: ['started', 'succeeded'] },
    { op: 'reply', key: 'reply:final', status: 'succeeded', audit: ['started', 'succeeded'] },
  ]);
  expect((await audit.list({ requestId })).at(-1)).toMatchObject({ type: 'succeeded', action: 'delete', detail: { endpoint: 'fraud-ep' } });
  const [parent, reply] = await slackThread(requestId, 2);
  await waitFor(() => /:white_check_mark: Succeeded/.test(textOf(slack.message(CHANNEL, parent!.ts)!)), { what: 'the parent to say succeeded' });
  expect(reply!.text).toContain('fraud-ep is deleted');
  expect(reply!.reply_broadcast).toBe(true);
});

it('never shows running again once the request failed, as the store keeps its outcome', async () => {
  const { requestId, lifecycle } = await aRequest();
  await lifecycle.started({ firstAttempt: true });
  await lifecycle.running();
  await lifecycle.failed(message(`:x: <@${ALICE}> it broke`, [section('it broke')]), { audit: { code: 'Boom' } });
  // A late step of the same request (a retried run whose watch has already ended it).
  await lifecycle.started({ firstAttempt: false });
  await lifecycle.running('job j-1');

  expect(said.map((s) => s.op)).toEqual(['upsert-parent', 'upsert-parent', 'reply']);
  expect((await requests.get(requestId))?.status).toBe('failed');
  expect((await audit.list({ requestId })).map((e) => e.type)).toEqual(['started', 'failed']);
  const [parent] = await slackThread(requestId, 2);
  await waitFor(() => /:x: Failed/.test(textOf(slack.message(CHANNEL, parent!.ts)!)), { what: 'the parent to say failed' });
});

it('keeps the first outcome when a late step of the same request ends it otherwise', async () => {
  const { requestId, lifecycle } = await aRequest();
  await lifecycle.started({ firstAttempt: true });
  await lifecycle.succeeded(final('fraud-ep is deleted'));
  // The watch's last attempt failing after its final reply went out, say.
  await lifecycle.failed(message(`:x: <@${ALICE}> gave up`, [section('gave up')]));

  expect(said.map((s) => s.op)).toEqual(['upsert-parent', 'reply']);
  expect((await requests.get(requestId))?.status).toBe('succeeded');
  expect((await audit.list({ requestId })).map((e) => e.type)).toEqual(['started', 'succeeded']);
  const [parent, reply] = await slackThread(requestId, 2);
  await waitFor(() => /:white_check_mark: Succeeded/.test(textOf(slack.message(CHANNEL, parent!.ts)!)), { what: 'the parent to say succeeded' });
  expect(reply!.text).toContain('fraud-ep is deleted');
});

it('refuses a request: denied in the store and audit with who and why, failed on the parent with the reason', async () => {
  const { requestId, lifecycle } = await aRequest();
  // As the intake records it (a 'denied' starts no stream of its own: audit-trail.ts).
  await audit.record({ type: 'requested', requestId, actor: ALICE, action: 'delete' });
  await lifecycle.refused(message(`:no_entry: <@${ALICE}> not allowed`, [section('not allowed')]), {
    actor: ALICE,
    audit: { reason: 'not-a-canceler' },
    parentDetail: 'refused: not allowed to cancel this job',
  });
  expect((await requests.get(requestId))?.status).toBe('denied');
  expect(await audit.list({ requestId })).toEqual([expect.objectContaining({ type: 'requested' }), expect.objectContaining({ type: 'denied', actor: ALICE, action: 'delete', detail: { reason: 'not-a-canceler' } })]);
  const [parent] = await slackThread(requestId, 2);
  await waitFor(() => textOf(slack.message(CHANNEL, parent!.ts)!).includes(':x: Failed · refused: not allowed to cancel this job'), { what: 'the parent with the refusal' });
});

it('ends a canceled request as canceled, and shows who approved it on the parent', async () => {
  const { requestId, lifecycle } = await aRequest();
  await approvals.create({ id: requestId, requestId, action: 'delete', requester, command: subject.command });
  await approvals.decide(requestId, { approve: true, userId: CAROL, at: Date.now() });
  await lifecycle.started({ firstAttempt: true });
  await lifecycle.running();
  await lifecycle.canceled(final('canceled'), { broadcast: false });
  expect((await requests.get(requestId))?.status).toBe('canceled');
  expect((await audit.list({ requestId })).map((e) => e.type)).toEqual(['started', 'canceled']);
  const [parent, reply] = await slackThread(requestId, 2);
  await waitFor(() => /:octagonal_sign: Canceled/.test(textOf(slack.message(CHANNEL, parent!.ts)!)), { what: 'the parent to say canceled' });
  expect(textOf(slack.message(CHANNEL, parent!.ts)!)).toContain(`approved by <@${CAROL}>`);
  expect(reply!.reply_broadcast).toBeUndefined();
});

it('records a start once across retries, and keeps a request without a subject to its store, audit and replies', async () => {
  const { requestId, lifecycle } = await aRequest({ subject: undefined });
  await lifecycle.started({ firstAttempt: true, audit: { sourceRequestId: 'req-0' } });
  await lifecycle.started({ firstAttempt: false });
  await lifecycle.running();
  await lifecycle.progress('status', message('running', [section('running')]));
  await lifecycle.failed(final('ended'));
  expect((await requests.get(requestId))?.status).toBe('failed');
  expect(await audit.list({ requestId })).toEqual([
    expect.objectContaining({ type: 'started', detail: { sourceRequestId: 'req-0' } }),
    expect.objectContaining({ type: 'failed' }),
  ]);
  // No parent to update: a job the bot did not start has none of its own.
  expect(said.map((s) => `${s.op} ${s.key}`)).toEqual([expect.stringMatching(/^upsert-in-thread slot-status:/), 'reply reply:final']);
});
