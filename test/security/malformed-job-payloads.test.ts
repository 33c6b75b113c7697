// Jobs whose payload does not fit its queue's schema — a hand-made job, a bug, a job written by an older
// version — added straight to the BullMQ queues. Each is refused by its schema at the first attempt with
// an error that says which fields are wrong (UnrecoverableError: retrying cannot fix it), and nothing of
// it is carried out: no call to Azure ML, nothing said in Slack. A broken notification is dead-lettered.
import { waitFor } from '../../sandbox/slack/wait-for';
import pino from 'pino';
import { startEmbeddedStack, type EmbeddedStack } from '../../dev/embedded-stack';
import { deadLetterKey } from '../../src/queue/notify-outbox-store';
import type { QueueName } from '../../src/queue/queue-names';
import { createQueueInspector, type QueueInspector } from '../support/stack-probes';

let stack: EmbeddedStack;
let queues: QueueInspector;

beforeAll(async () => {
  stack = await startEmbeddedStack({ logger: pino({ level: 'silent' }), slackRateLimit: 'count' });
  queues = createQueueInspector(stack.redis.url, stack.config.redis.queuePrefix);
  // The workers list the workspace's endpoints once at start; after that, any Azure call is the jobs'.
  await waitFor(() => stack.azureml.admin.requestCount({ method: 'GET', path: /\/batchendpoints$/ }) >= 1 || undefined, { what: 'the start-up listing' });
}, 60_000);

afterAll(async () => {
  await queues?.close();
  await stack?.stop();
});

const requester = { userId: 'U0ALICE001', teamId: 'T0SANDBOX01', channelId: 'C0MLOPS0001' };

const BROKEN: Array<[string, QueueName, string, unknown, RegExp]> = [
  ['a deploy job without a spec', 'deploy', 'deploy', { requestId: 'rbroken01', requester }, /invalid payload.*spec/],
  ['a deploy job whose spec has the wrong types', 'deploy', 'deploy', { requestId: 'rbroken02', requester, spec: { endpointName: 42, model: 'x' } }, /invalid payload/],
  ['a run job with an input that is not a data reference', 'run', 'run', { requestId: 'rbroken03', requester, spec: { endpointName: 'e1', input: { uri: 'file:///etc/passwd', kind: 'folder' } } }, /invalid payload/],
  ['a run job with a request id containing a colon', 'run', 'run', { requestId: 'bad:id', requester, spec: {} }, /invalid payload.*requestId/],
  ['a watch job with a scoring URI that is not a URL', 'watch', 'watch', { requestId: 'rbroken05', requester, endpointName: 'e1', jobName: 'j1', scoringUri: 'not a url', startedAt: 0 }, /invalid payload.*scoringUri/],
  ['an ops job with a command that is not one', 'ops', 'ops', { requestId: 'rbroken06', requester, command: { verb: 'format-disk', target: '/' } }, /invalid command/],
  ['a job that is not an object at all', 'run', 'run', 'just a string', /invalid payload/],
  ['a notify flush job without its epoch', 'notify', 'flush', { requestId: 'rbroken08' }, /invalid payload.*epoch/],
];

it.each(BROKEN)('refuses %s at the first attempt and does nothing', async (_what, queue, name, data, reason) => {
  const azureBefore = stack.azureml.admin.counters().total;
  const slackBefore = stack.slack.callLog.length;
  const job = await queues.queue(queue).add(name, data, { jobId: `broken-${queue}-${Math.random().toString(36).slice(2, 10)}`, attempts: 5 });
  await waitFor(async () => (await job.isFailed()) || undefined, { what: `the ${queue} job to fail`, timeoutMs: 15_000 });
  const failed = (await queues.queue(queue).getJob(job.id!))!;
  expect(failed.failedReason).toMatch(reason);
  expect(failed.attemptsMade).toBe(1);
  expect(stack.azureml.admin.counters().total).toBe(azureBefore);
  expect(stack.slack.callLog.length).toBe(slackBefore);
});

it('dead-letters a notification whose entry is unreadable, without calling Slack', async () => {
  const slackBefore = stack.slack.callLog.length;
  const deadKey = deadLetterKey(stack.config.redis.queuePrefix);
  const deadBefore = await queues.redis.llen(deadKey);
  await queues.queue('notify').add('direct', { requestId: 'rbroken07', channel: 'C0MLOPS0001', op: 'ephemeral', text: 12 }, { jobId: 'direct-broken-1' });
  await waitFor(async () => (await queues.redis.llen(deadKey)) > deadBefore || undefined, { what: 'the dead letter', timeoutMs: 15_000 });
  const [record] = await queues.redis.lrange(deadKey, 0, 0);
  expect(record).toMatch(/unreadable entry/);
  expect(stack.slack.callLog.length).toBe(slackBefore);
});
