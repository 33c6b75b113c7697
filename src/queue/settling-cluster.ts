// ioredis' Cluster.connect() can stay pending for ever. Once the cluster reports `connect` it drops the close
// listener that would reject the promise, and its ready check (`CLUSTER INFO`) may then fail, for example
// while a restarted node is not back in the cluster yet. The cluster disconnects and retries on its own,
// and it does reach `ready`, but the first promise never settles. BullMQ awaits that promise when it
// rebuilds a worker's blocking connection after a node restart, so the worker stopped fetching jobs for
// good: the watch queue stalled in test/resilience/redis-restart.test.ts on a three-master cluster.
//
// SettlingCluster's connect() also settles on the cluster's next `ready` (resolve) or `end` (reject), and
// duplicate() (which BullMQ uses for blocking connections) builds a SettlingCluster too.
import { Cluster, type ClusterNode } from 'ioredis';

type Options = ConstructorParameters<typeof Cluster<'legacy'>>[1];

interface Waiter {
  resolve(): void;
  reject(err: Error): void;
}

// Kept outside the instance: Cluster's constructor calls connect() before a subclass's fields exist.
const waitersOf = new WeakMap<Cluster, Set<Waiter>>();
const startupNodesOf = new WeakMap<Cluster, ClusterNode[]>();

function waiters(cluster: Cluster): Set<Waiter> {
  let set = waitersOf.get(cluster);
  if (!set) {
    const created = new Set<Waiter>();
    set = created;
    waitersOf.set(cluster, created);
    cluster.on('ready', () => {
      for (const w of [...created]) w.resolve();
    });
    cluster.on('end', () => {
      for (const w of [...created]) w.reject(new Error('Connection is closed.'));
    });
  }
  return set;
}

export class SettlingCluster extends Cluster {
  constructor(startupNodes: ClusterNode[], options?: Options) {
    super(startupNodes, options);
    startupNodesOf.set(this, startupNodes);
  }

  override connect(): Promise<void> {
    const pending = waiters(this);
    return new Promise<void>((resolve, reject) => {
      const waiter: Waiter = {
        resolve: () => {
          pending.delete(waiter);
          resolve();
        },
        reject: (err) => {
          pending.delete(waiter);
          reject(err);
        },
      };
      pending.add(waiter);
      super.connect().then(waiter.resolve, waiter.reject);
    });
  }

  // Same merge as ioredis' own duplicate(), but the copy keeps this class.
  override duplicate(...[overrideStartupNodes = [], overrideOptions]: Parameters<Cluster['duplicate']>): ReturnType<Cluster['duplicate']> {
    const nodes = overrideStartupNodes.length > 0 ? overrideStartupNodes : [...(startupNodesOf.get(this) ?? [])];
    // this.options is what our constructor was given (ioredis types it as the generic ClusterOptions).
    const own = this.options as NonNullable<Options>;
    const redisOptions = own.redisOptions && overrideOptions?.redisOptions ? { redisOptions: { ...own.redisOptions, ...overrideOptions.redisOptions } } : {};
    const options = { ...own, ...overrideOptions, ...redisOptions } as NonNullable<Options>;
    return new SettlingCluster(nodes, options);
  }
}
