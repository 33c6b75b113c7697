// Approvals, the audit trail and the request store against a real redis-server: decisions are atomic,
// expiry is enforced, and everything survives a restart of the bot (a new store on the same Redis)
// and of Redis itself (append-only file).
import type { Redis } from 'ioredis';
import { startRedis, type RedisProcess } from '../../sandbox/stack';
import { createApprovalStore, type ApprovalInput } from '../../src/queue/approval-store';
import { createAuditTrail } from '../../src/queue/audit-trail';
import { createRedisConnection } from '../../src/queue/connection';
import { createRequestStore } from '../../src/queue/request-store';

const alice = { userId: 'U0ALICE001', teamId: 'T0SANDBOX01', channelId: 'C0MLOPS0001', userName: 'alice' };
const command = { verb: 'deploy', endpointName: 'fraud-ep', tags: [], weights: { blue: 90, green: 10 } };

let redis: RedisProcess;
let connection: Redis;
let testNo = 0;
let clock = 1_764_000_000_000;
const now = (): number => clock;

beforeAll(async () => {
  redis = await startRedis({ appendOnly: true });
  connection = createRedisConnection(redis.url, { name: 'approval-test' });
});

afterAll(async () => {
  connection?.disconnect();
  await redis?.stop();
});

function fresh() {
  const prefix = `approval-t${++testNo}`;
  return { prefix, store: createApprovalStore({ connection, prefix, now }) };
}

const input = (extra: Partial<ApprovalInput> = {}): ApprovalInput => ({ action: 'deploy', requester: alice, command, ttlMs: 60_000, ...extra });

describe('approval store', () => {
  it('lets exactly one of 20 simultaneous decisions win', async () => {
    const { store } = fresh();
    const request = await store.create(input());
    const results = await Promise.all(
      Array.from({ length: 20 }, (_, i) => store.decide(request.id, { approve: i % 2 === 0, userId: `U0APPROVER${i}`, at: now() })),
    );
    const winners = results.filter((r) => r.ok);
    expect(winners).toHaveLength(1);
    const winner = winners[0]!.request!;
    expect(results.filter((r) => !r.ok).every((r) => !r.ok && r.reason === 'already-decided' && r.request?.decidedBy === winner.decidedBy)).toBe(true);
    expect(await store.get(request.id)).toEqual(winner);
    expect(await store.listPending()).toEqual([]);
  });

  it('answers a repeated click (a Slack retry) with the decision already taken', async () => {
    const { store } = fresh();
    const request = await store.create(input());
    const first = await store.decide(request.id, { approve: false, userId: 'U0CAROL001', at: now() });
    const again = await store.decide(request.id, { approve: true, userId: 'U0CAROL001', at: now() });
    expect(first).toMatchObject({ ok: true, request: { status: 'rejected', decidedBy: 'U0CAROL001', decidedAt: now() } });
    expect(again).toMatchObject({ ok: false, reason: 'already-decided', request: { status: 'rejected' } });
  });

  it('refuses a decision made after the approval expired, and marks it expired', async () => {
    const { store } = fresh();
    const request = await store.create(input({ ttlMs: 1_000 }));
    const late = await store.decide(request.id, { approve: true, userId: 'U0CAROL001', at: request.expiresAt });
    expect(late).toMatchObject({ ok: false, reason: 'expired', request: { status: 'expired' } });
    expect((await store.get(request.id))?.decidedBy).toBeUndefined();
  });

  it('lists pending approvals until they expire, then expires them once', async () => {
    const { store } = fresh();
    const soon = await store.create(input({ ttlMs: 1_000 }));
    const later = await store.create(input({ ttlMs: 10_000 }));
    expect((await store.listPending()).map((r) => r.id)).toEqual([soon.id, later.id]);
    clock += 5_000;
    expect((await store.listPending()).map((r) => r.id)).toEqual([later.id]);
    expect((await store.expireDue()).map((r) => [r.id, r.status])).toEqual([[soon.id, 'expired']]);
    expect(await store.expireDue()).toEqual([]);
  });

  it('reports an unknown approval as not found', async () => {
    const { store } = fresh();
    expect(await store.decide('no-such-approval', { approve: true, userId: 'U0CAROL001', at: now() })).toEqual({ ok: false, reason: 'not-found' });
    expect(await store.get('no-such-approval')).toBeUndefined();
  });

  it('refuses to create an approval over an existing one', async () => {
    const { store } = fresh();
    await store.create(input({ id: 'appr-1' }));
    await expect(store.create(input({ id: 'appr-1' }))).rejects.toMatchObject({ code: 'approval_exists' });
  });

  it('survives a restart of the bot and of Redis, command intact', async () => {
    const { prefix, store } = fresh();
    const request = await store.create(input({ requestId: 'req-42' }));

    await redis.restart();
    const reconnected = createRedisConnection(redis.url, { name: 'approval-test-2' });
    try {
      const restarted = createApprovalStore({ connection: reconnected, prefix, now });
      expect(await restarted.get(request.id)).toEqual(request);
      expect((await restarted.listPending()).map((r) => r.id)).toEqual([request.id]);
      expect(await restarted.decide(request.id, { approve: true, userId: 'U0CAROL001', at: now() })).toMatchObject({ ok: true });
    } finally {
      reconnected.disconnect();
    }
  });
});

describe('audit trail', () => {
  it('keeps every event of a request in order, across a new trail instance', async () => {
    const prefix = `audit-t${++testNo}`;
    const trail = createAuditTrail({ connection, prefix, now });
    await trail.record({ type: 'requested', requestId: 'req-1', actor: 'U0ALICE001', action: 'deploy' });
    await trail.record({ type: 'requested', requestId: 'req-2', actor: 'U0BOB00001', action: 'run' });
    await trail.record({ type: 'approved', requestId: 'req-1', actor: 'U0CAROL001', detail: { approvalId: 'a-1' } });
    await trail.record({ type: 'succeeded', requestId: 'req-1', detail: { deployment: 'blue' } });

    const again = createAuditTrail({ connection, prefix, now });
    const events = await again.list({ requestId: 'req-1' });
    expect(events.map((e) => [e.type, e.actor])).toEqual([
      ['requested', 'U0ALICE001'],
      ['approved', 'U0CAROL001'],
      ['succeeded', undefined],
    ]);
    expect(events[1]).toMatchObject({ detail: { approvalId: 'a-1' }, at: now() });
    expect((await again.list({ count: 2 })).map((e) => [e.type, e.requestId])).toEqual([
      ['approved', 'req-1'],
      ['succeeded', 'req-1'],
    ]);
  });

  it('never stores a secret found in the detail', async () => {
    const prefix = `audit-t${++testNo}`;
    const trail = createAuditTrail({ connection, prefix, now });
    await trail.record({
      type: 'failed',
      requestId: 'req-3',
      detail: { responseUrl: 'https://hooks.slack.com/commands/T/1/abc', output: 'https://acct.blob.core.windows.net/c/out.csv?sv=2024&sig=SECRET' },
    });
    const raw = JSON.stringify(await connection.xrange(`${prefix}:audit`, '-', '+'));
    expect(raw).not.toContain('abc');
    expect(raw).not.toContain('SECRET');
  });
});

describe('request store', () => {
  it('finds a request by its scoring job name and keeps its final status', async () => {
    const prefix = `request-t${++testNo}`;
    const store = createRequestStore({ connection, prefix, now });
    const created = await store.create({ requestId: 'req-7', kind: 'run', requester: alice, channel: alice.channelId, summary: 'score fraud-ep' });
    expect(created).toMatchObject({ status: 'queued', createdAt: now() });
    await store.update('req-7', { status: 'running' });
    await store.linkJob('req-7', 'batchjob-0001');
    await store.update('req-7', { status: 'succeeded', summary: 'scored 1,000 rows' });
    // A retried step arriving late must not turn an outcome back into progress.
    const late = await store.update('req-7', { status: 'running' });

    expect(late).toMatchObject({ status: 'succeeded', summary: 'scored 1,000 rows', jobName: 'batchjob-0001' });
    expect(await store.findByJob('batchjob-0001')).toEqual(late);
    expect(await store.findByJob('batchjob-unknown')).toBeUndefined();
    expect(await store.update('req-unknown', { status: 'failed' })).toBeUndefined();
  });

  it('keeps the first record when a request is created twice, and lists the newest first', async () => {
    const prefix = `request-t${++testNo}`;
    const store = createRequestStore({ connection, prefix, now });
    await store.create({ requestId: 'req-a', kind: 'deploy', requester: alice, channel: alice.channelId, summary: 'first' });
    clock += 1;
    await store.create({ requestId: 'req-b', kind: 'ops', requester: alice, channel: alice.channelId, summary: 'second' });
    const again = await store.create({ requestId: 'req-a', kind: 'deploy', requester: alice, channel: alice.channelId, summary: 'retry' });
    expect(again.summary).toBe('first');
    expect((await store.listRecent(10)).map((r) => r.requestId)).toEqual(['req-b', 'req-a']);
  });
});
