// A real Redis Cluster for tests: three masters (no replicas), each a redis-server in cluster mode on
// free 127.0.0.1 ports (client and bus port both chosen, so nothing collides), joined with
// `redis-cli --cluster create`, durable like the single launcher's appendOnly mode so a killed node comes
// back with its data and its nodes.conf. Stopped node by node, by pid, like every launcher here.
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { getFreePort } from './free-port';
import { startRedis, type RedisProcess } from './redis';

const execFileAsync = promisify(execFile);

export interface RedisClusterProcess {
  nodes: RedisProcess[];
  /** `redis://127.0.0.1:<port>` of every node: what REDIS_CLUSTER_NODES lists. */
  seeds: string[];
  /** The node serving the slot of `key` (for a key with a hash tag, the tag's slot). */
  nodeFor(key: string): Promise<RedisProcess>;
  /** Resolves once every running node reports `cluster_state:ok` (all slots served). */
  waitUntilHealthy(timeoutMs?: number): Promise<void>;
  stop(): Promise<void>;
}

export interface StartRedisClusterOptions {
  masters?: number;
  /** How long a node may be unreachable before the others call it failed (cluster-node-timeout). */
  nodeTimeoutMs?: number;
  startTimeoutMs?: number;
}

async function redisCli(port: number, ...args: string[]): Promise<string> {
  const { stdout } = await execFileAsync('redis-cli', ['-h', '127.0.0.1', '-p', String(port), ...args], { timeout: 30_000 });
  return stdout;
}

/** Distinct free ports (the kernel may hand the same one out twice in a row once it is released). */
async function distinctFreePorts(count: number): Promise<number[]> {
  const ports = new Set<number>();
  while (ports.size < count) ports.add(await getFreePort());
  return [...ports];
}

export async function startRedisCluster(opts: StartRedisClusterOptions = {}): Promise<RedisClusterProcess> {
  const masters = opts.masters ?? 3;
  const nodeTimeoutMs = opts.nodeTimeoutMs ?? 2_000;
  const ports = await distinctFreePorts(masters * 2);
  const nodes: RedisProcess[] = [];
  const stop = async (): Promise<void> => {
    await Promise.all(nodes.map((n) => n.stop()));
  };
  try {
    for (let i = 0; i < masters; i++) {
      nodes.push(
        await startRedis({
          port: ports[i] as number,
          appendOnly: true,
          ...(opts.startTimeoutMs ? { startTimeoutMs: opts.startTimeoutMs } : {}),
          extraArgs: [
            '--cluster-enabled', 'yes',
            '--cluster-config-file', 'nodes.conf',
            '--cluster-node-timeout', String(nodeTimeoutMs),
            '--cluster-port', String(ports[masters + i]),
          ],
        }),
      );
    }
    await execFileAsync('redis-cli', ['--cluster', 'create', ...nodes.map((n) => `127.0.0.1:${n.port}`), '--cluster-replicas', '0', '--cluster-yes'], {
      timeout: 60_000,
    });
  } catch (err) {
    await stop();
    throw err;
  }

  const waitUntilHealthy = async (timeoutMs = 30_000): Promise<void> => {
    const deadline = Date.now() + timeoutMs;
    let last = '';
    for (;;) {
      const states = await Promise.all(nodes.map((n) => redisCli(n.port, 'cluster', 'info').catch((err: Error) => err.message)));
      if (states.every((s) => /cluster_state:ok/.test(s))) return;
      last = states.map((s, i) => `${nodes[i]?.port}: ${/cluster_state:\w+/.exec(s)?.[0] ?? s.trim()}`).join(', ');
      if (Date.now() > deadline) throw new Error(`the Redis Cluster did not become healthy within ${timeoutMs} ms (${last})`);
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
  };

  const nodeFor = async (key: string): Promise<RedisProcess> => {
    const first = nodes[0] as RedisProcess;
    const slot = Number((await redisCli(first.port, 'cluster', 'keyslot', key)).trim());
    // CLUSTER NODES: "<id> <ip:port@bus> <flags> <master> <ping> <pong> <epoch> <link> <slot ranges…>".
    for (const line of (await redisCli(first.port, 'cluster', 'nodes')).trim().split('\n')) {
      const fields = line.split(' ');
      const port = Number(/:(\d+)@/.exec(fields[1] ?? '')?.[1]);
      const serves = fields.slice(8).some((range) => {
        const [from, to] = range.split('-').map(Number);
        return from !== undefined && slot >= from && slot <= (to ?? from);
      });
      const node = nodes.find((n) => n.port === port);
      if (serves && node) return node;
    }
    throw new Error(`no node serves slot ${slot} of ${key}`);
  };

  await waitUntilHealthy().catch(async (err: unknown) => {
    await stop();
    throw err;
  });
  return { nodes, seeds: nodes.map((n) => `redis://127.0.0.1:${n.port}`), nodeFor, waitUntilHealthy, stop };
}
