// The cluster connection's connect() settles once the cluster is usable again, on a real three-master
// Redis Cluster. Plain ioredis leaves it pending for ever when the cluster's ready check fails after
// `connect` (here: a master is down, so CLUSTER INFO says cluster_state:fail) and a later retry succeeds;
// a BullMQ worker rebuilding its blocking connection then never fetches another job
// (src/queue/settling-cluster.ts).
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { waitFor } from '../../sandbox/slack/wait-for';
import { startRedisCluster, type RedisClusterProcess } from '../../sandbox/stack/redis-cluster';
import { createRedisConnection } from '../../src/queue/connection';
import { SettlingCluster } from '../../src/queue/settling-cluster';

const execFileAsync = promisify(execFile);

let cluster: RedisClusterProcess;

beforeAll(async () => {
  cluster = await startRedisCluster();
}, 60_000);

afterAll(async () => {
  await cluster?.stop();
});

async function clusterState(port: number): Promise<string> {
  const { stdout } = await execFileAsync('redis-cli', ['-h', '127.0.0.1', '-p', String(port), 'cluster', 'info']);
  return /cluster_state:(\w+)/.exec(stdout)?.[1] ?? 'unknown';
}

it('settles connect() once the cluster is healthy again, though the first ready check failed', async () => {
  const connection = createRedisConnection({ url: 'redis://unused:6379', clusterNodes: cluster.seeds }, { forWorker: true, name: 'settling-test' });
  connection.on('error', () => undefined);
  try {
    expect(connection).toBeInstanceOf(SettlingCluster);
    await connection.set('{bsb}settling', '1');
    const ended = new Promise((resolve) => connection.once('end', resolve));
    connection.disconnect();
    await ended;

    const victim = cluster.nodes[2]!;
    await victim.kill('SIGKILL');
    await waitFor(async () => ((await clusterState(cluster.nodes[0]!.port)) === 'fail' ? true : undefined), { what: 'cluster_state:fail', timeoutMs: 20_000 });

    let outcome = 'pending';
    const connecting = connection.connect().then(
      () => (outcome = 'resolved'),
      (err: Error) => (outcome = `rejected: ${err.message}`),
    );
    // While a master is down the cluster reaches `connect`, fails its ready check and keeps retrying.
    await waitFor(() => (connection.status === 'reconnecting' || connection.status === 'connect' ? true : undefined), { what: 'a retry', timeoutMs: 10_000 });
    await victim.restart();
    await cluster.waitUntilHealthy();

    await waitFor(() => (outcome !== 'pending' ? true : undefined), { what: 'connect() to settle', timeoutMs: 20_000 });
    await connecting;
    expect(outcome).toBe('resolved');
    expect(await connection.get('{bsb}settling')).toBe('1');
  } finally {
    connection.disconnect();
  }
}, 90_000);

it('duplicates into a SettlingCluster with the same seeds and merged node options (as BullMQ does for blocking)', async () => {
  const connection = createRedisConnection({ url: 'redis://unused:6379', clusterNodes: cluster.seeds }, { forWorker: true, name: 'settling-original' });
  if (!(connection instanceof SettlingCluster)) throw new Error('seed nodes should give a SettlingCluster');
  const copy = connection.duplicate(undefined, { redisOptions: { connectionName: 'settling-copy' } });
  try {
    expect(copy).toBeInstanceOf(SettlingCluster);
    expect(copy.options.redisOptions).toMatchObject({ connectionName: 'settling-copy', maxRetriesPerRequest: null });
    await copy.set('{bsb}dup', 'x');
    expect(await connection.get('{bsb}dup')).toBe('x');
  } finally {
    copy.disconnect();
    connection.disconnect();
  }
}, 30_000);
