// Redis (append-only, fsync always) crashes and comes back while work is queued, delayed and active:
// the bot's and the workers' connections reconnect, and every job still finishes — each scoring job
// invoked once, each thread with one final reply, no notification posted twice. Played twice: on one
// redis-server, and on a three-master Redis Cluster whose node serving the installation's slot ({bsb},
// so every queue, approval and outbox key) is killed and restarted.
import { waitFor } from '../../sandbox/slack/wait-for';
import pino from 'pino';
import { STACK_CHANNEL, STACK_USERS, startEmbeddedStack, type EmbeddedStack } from '../../dev/embedded-stack';
import { duplicatePosts } from '../support/slack-deliveries';
import { createQueueInspector, createThreadReader, isTopLevel, type QueueInspector, type ThreadReader } from '../support/stack-probes';
import { deployApproved } from '../support/user-gestures';
import { unfinishedJobs, waitForQuiet } from '../support/quiet-queues';

// On the cluster this once stalled: a worker rebuilding its blocking connection awaited an ioredis
// connect() that never settled, and no watch ran again (src/queue/settling-cluster.ts).
describe.each([
  ['one redis-server', false],
  ['a three-master Redis Cluster', true],
] as Array<readonly [string, boolean]>)('on %s', (name, cluster) => {
  let stack: EmbeddedStack;
  let queues: QueueInspector;
  let threads: ThreadReader;
  const ENDPOINT = 'redis-restart';

  beforeAll(async () => {
    stack = await startEmbeddedStack({
      logger: pino({ level: 'silent' }),
      timeScale: 0.01,
      perChannelIntervalMs: 50,
      slackRateLimit: 'count',
      lockDurationMs: 2_000,
      redis: { appendOnly: true, ...(cluster ? { cluster: true } : {}) },
      // One run at a time, so that run requests wait in the queue while others are watched.
      env: { BATCH_SCORE_WORKER_CONCURRENCY: '1' },
    });
    queues = createQueueInspector(stack.config.redis, stack.config.redis.queuePrefix);
    threads = createThreadReader(stack.slack, STACK_CHANNEL);
    const parent = await deployApproved(stack, ENDPOINT);
    await waitFor(() => threads.finalReplies(parent)[0], { what: 'the deploy', timeoutMs: 30_000 });
    for (let i = 0; i < 20; i++) await stack.azureml.admin.putDatastoreFile(`${ENDPOINT}/in/${i}.png`, Buffer.from(`digit-${i}`));
    await waitForQuiet(queues);
  }, 60_000);

  afterAll(async () => {
    await queues?.close();
    await stack?.stop();
  });

  it('finishes every job and posts every notification once after Redis is killed and restarted', async () => {
    const before = new Set(stack.slack.messages(STACK_CHANNEL).map((m) => m.ts));
    const requests = 6;
    for (let i = 0; i < requests; i++) {
      const res = await stack.driver.slash(`run ${ENDPOINT} azureml://datastores/workspaceblobstore/paths/${ENDPOINT}/in`, { user: STACK_USERS.requester, channel: STACK_CHANNEL });
      expect(JSON.stringify(res.body)).toContain('Checking request');
    }
    // Crash while requests are still on their way to Azure and jobs are being watched. A request is first
    // checked (ops queue), then its run is queued: which of the two holds it at a given moment depends on
    // the machine's pace, so either counts. A watch is delayed between looks, or waiting or active for a
    // moment: any of them is work in flight.
    const atCrash = await waitFor(
      async () => {
        const c = await queues.counts();
        const requestsOnTheWay = c.ops.waiting! + c.ops.active! + c.run.waiting! + c.run.active!;
        const watchesInFlight = c.watch.delayed! + c.watch.waiting! + c.watch.active!;
        return requestsOnTheWay > 0 && watchesInFlight > 0 ? c : undefined;
      },
      { what: 'requests on their way and watches in flight', timeoutMs: 30_000 },
    );
    await stack.redis.kill('SIGKILL');
    await stack.redis.restart();
    await stack.redisCluster?.waitUntilHealthy();
    const afterRestart = await queues.counts();
    // Append-only with fsync always: nothing acknowledged was lost.
    expect(afterRestart.run.waiting! + afterRestart.run.active! + afterRestart.run.completed!).toBeGreaterThanOrEqual(atCrash.run.waiting! + atCrash.run.completed!);

    const parents = await waitFor(
      () => {
        const found = stack.slack.messages(STACK_CHANNEL).filter((m) => !before.has(m.ts) && isTopLevel(m) && m.text.includes(ENDPOINT));
        return found.length === requests ? found : undefined;
      },
      { what: 'every run request in the channel', timeoutMs: 60_000 },
    );
    await waitFor(() => parents.every((p) => threads.finalReplies(p).length > 0), { what: 'every final reply', timeoutMs: 90_000 }).catch(async (error: unknown) => {
      // What a failed run needs to be read: where each request stands, and what every queue holds.
      const stuck = parents.filter((p) => threads.finalReplies(p).length === 0).map((p) => ({ parent: p.text, replies: threads.replies(p).map((r) => r.text) }));
      process.stdout.write(`redis restart (${name}) stalled: ${JSON.stringify({ stuck, counts: await queues.counts(), jobs: await unfinishedJobs(queues) })}\n`);
      throw error;
    });
    await waitForQuiet(queues, { timeoutMs: 30_000 });

    for (const parent of parents) {
      const finals = threads.finalReplies(parent);
      expect(finals).toHaveLength(1);
      expect(finals[0]!.text).toContain('completed');
    }
    expect(stack.azureml.admin.requestCount({ method: 'POST', path: new RegExp(`/inference/batchendpoints/${ENDPOINT}/jobs$`) })).toBe(requests);
    expect(stack.azureml.admin.listJobs().filter((j) => (j.properties as { experimentName?: string }).experimentName === ENDPOINT)).toHaveLength(requests);
    expect(duplicatePosts(stack.slack)).toEqual([]);
    process.stdout.write(`redis restart (${name}): queues at the crash ${JSON.stringify({ ops: atCrash.ops, run: atCrash.run, watch: atCrash.watch, notify: atCrash.notify })}\n`);
  }, 180_000);
});
