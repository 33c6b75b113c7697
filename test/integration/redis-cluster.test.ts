// Our stores and BullMQ on a real three-master Redis Cluster (started here with redis-cli --cluster
// create). A multi-key script or transaction must find its keys in one slot: with a plain prefix the
// cluster refuses them (CROSSSLOT), which is why the configuration insists on a hash-tag prefix there;
// with `{…}` every key of the installation lands on the one node that serves the tag's slot.
// (The whole product on a cluster: scale-out.test.ts and resilience/redis-restart.test.ts.)
import { Queue } from 'bullmq';
import { startRedisCluster, type RedisClusterProcess } from '../../sandbox/stack/redis-cluster';
import { createApprovalStore } from '../../src/queue/approval-store';
import { createAuditTrail } from '../../src/queue/audit-trail';
import { createRedisConnection, type RedisConnection } from '../../src/queue/connection';
import { createEndpointDirectory } from '../../src/queue/endpoint-directory';
import { QUEUE_NAMES } from '../../src/queue/queue-names';
import { createRequestStore } from '../../src/queue/request-store';

const alice = { userId: 'U0ALICE001', teamId: 'T0SANDBOX01', channelId: 'C0MLOPS0001', userName: 'alice' };
const command = { verb: 'deploy', endpointName: 'fraud-ep', tags: [], weights: {} };

let cluster: RedisClusterProcess;
let connection: RedisConnection;
const perNode: RedisConnection[] = [];

beforeAll(async () => {
  cluster = await startRedisCluster();
  connection = createRedisConnection({ url: 'redis://unused:6379', clusterNodes: cluster.seeds }, { name: 'cluster-test' });
  perNode.push(...cluster.nodes.map((n) => createRedisConnection(n.url)));
}, 60_000);

afterAll(async () => {
  connection?.disconnect();
  for (const c of perNode) c.disconnect();
  await cluster?.stop();
});

/** Every store's multi-key write, once. */
async function useEveryStore(prefix: string): Promise<void> {
  const approvals = createApprovalStore({ connection, prefix });
  const approval = await approvals.create({ action: 'deploy', requester: alice, command, ttlMs: 60_000 });
  await approvals.decide(approval.id, { approve: true, userId: 'U0CAROL001', at: Date.now() });
  const requests = createRequestStore({ connection, prefix });
  await requests.create({ requestId: 'r-1', kind: 'deploy', requester: alice, channel: alice.channelId, summary: 'deploy fraud-ep' });
  await requests.linkJob('r-1', 'job-1');
  await createAuditTrail({ connection, prefix }).record({ type: 'requested', requestId: 'r-1', actor: alice.userId, action: 'deploy' });
  await createEndpointDirectory({ connection, prefix }).replace([{ name: 'fraud-ep', deployments: ['blue'] }]);
  const queue = new Queue(QUEUE_NAMES.run, { connection, prefix });
  try {
    await queue.add('run', { requestId: 'r-1' }, { jobId: 'run-r-1' });
  } finally {
    await queue.close();
  }
}

it('refuses the stores and BullMQ without a hash-tag prefix: their keys spread over slots (CROSSSLOT)', async () => {
  const approvals = createApprovalStore({ connection, prefix: 'plain' });
  await expect(approvals.create({ action: 'deploy', requester: alice, command, ttlMs: 60_000 })).rejects.toThrow(/CROSSSLOT/);
  // ioredis refuses a cross-slot transaction itself, before Redis would.
  await expect(createAuditTrail({ connection, prefix: 'plain' }).record({ type: 'requested', requestId: 'r-1', actor: alice.userId, action: 'deploy' })).rejects.toThrow(
    /CROSSSLOT|same slots/,
  );
  const queue = new Queue(QUEUE_NAMES.run, { connection, prefix: 'plain' });
  try {
    await expect(queue.add('run', { requestId: 'r-1' }, { jobId: 'run-r-1' })).rejects.toThrow(/CROSSSLOT/);
  } finally {
    await queue.close();
  }
});

it('keeps every key of a {tagged} installation on the one node serving its slot', async () => {
  const tag = 'bsb-cluster';
  const prefix = `{${tag}}`;
  await useEveryStore(prefix);
  const home = await cluster.nodeFor(prefix);
  const keysPerNode = await Promise.all(perNode.map((c) => c.keys(`*${tag}*`)));
  const homeIndex = cluster.nodes.indexOf(home);
  expect(keysPerNode[homeIndex]!.length).toBeGreaterThan(8);
  expect(keysPerNode.filter((_, i) => i !== homeIndex).flat()).toEqual([]);
  expect(keysPerNode[homeIndex]!.every((k) => k.startsWith(`${prefix}:`))).toBe(true);
});
