// A run whose watch can no longer read its job (Azure refuses every read of it): the request ends failed,
// and everything about it says so at once, on the real stack. The parent, the thread's status line, the
// request store and the audit trail tell one story; nothing is left saying "Running" next to the failure.
import pino from 'pino';
import { waitFor } from '../../sandbox/slack/wait-for';
import { STACK_CHANNEL, STACK_USERS, exampleDeploySpec, startEmbeddedStack, type EmbeddedStack } from '../../dev/embedded-stack';
import { createAuditTrail } from '../../src/queue/audit-trail';
import { createRequestStore } from '../../src/queue/request-store';
import { createQueueInspector, createThreadReader, textOf, type QueueInspector } from '../support/stack-probes';

const ENDPOINT = 'watch-gives-up';
let stack: EmbeddedStack;
let queues: QueueInspector;

beforeAll(async () => {
  // A slow model (50 min a file, 6 s at this time scale): the job is still running when its reads start failing.
  stack = await startEmbeddedStack({ logger: pino({ level: 'silent' }), perChannelIntervalMs: 20, slackRateLimit: 'count', azuremlDurations: { perFileMs: 3_000_000 } });
  queues = createQueueInspector(stack.redis.url, stack.config.redis.queuePrefix);
  await stack.workers!.azureml.runDeployPlan(exampleDeploySpec(ENDPOINT), { version: 1, steps: {} }, async () => undefined);
  for (let i = 0; i < 4; i++) await stack.azureml.admin.putDatastoreFile(`${ENDPOINT}/in/${i}.png`, Buffer.from(`digit-${i}`));
}, 120_000);

afterAll(async () => {
  await queues?.close();
  await stack?.stop();
});

it('ends a run whose watch gives up with its parent, status line, record and audit all saying it failed', async () => {
  const threads = createThreadReader(stack.slack, STACK_CHANNEL);
  await stack.driver.slash(`run ${ENDPOINT} azureml://datastores/workspaceblobstore/paths/${ENDPOINT}/in --mini-batch-size 1`, { user: STACK_USERS.requester, channel: STACK_CHANNEL });
  const parent = await waitFor(() => threads.parentWith(`\`${ENDPOINT}\``), { what: 'the run request' });
  const statusLine = () => threads.replies(parent).map((r) => stack.slack.message(STACK_CHANNEL, r.ts) ?? r).find((r) => / on `watch-gives-up` · \*/.test(r.text));
  await waitFor(() => statusLine()?.text.includes('*Running*'), { what: 'the job running on its status line', timeoutMs: 30_000 });

  // From now on Azure refuses to show the job (the listing and the job itself): the watch gives up.
  stack.azureml.admin.injectFault({ match: { method: 'GET', path: '/jobs' }, count: 100_000, status: 403, code: 'AuthorizationFailed', message: 'The client may not read jobs.' });
  const final = await waitFor(() => threads.finalReplies(parent)[0], { what: 'the final reply', timeoutMs: 30_000 });
  expect(final.text).toMatch(/^:x:/);
  expect(textOf(final)).toContain('AuthorizationFailed');

  const requestId = /request `([^`]+)`/.exec(textOf(threads.current(parent)))?.[1];
  expect(requestId).toBeDefined();
  const prefix = stack.config.redis.queuePrefix;
  // Everything the request says lands before its final reply is posted, in one order for every worker.
  expect((await createRequestStore({ connection: queues.redis, prefix }).get(requestId!))?.status).toBe('failed');
  const audit = await createAuditTrail({ connection: queues.redis, prefix }).list({ requestId: requestId! });
  expect(audit.filter((e) => e.type === 'failed')).toHaveLength(1);
  await waitFor(() => /:x: Failed/.test(textOf(threads.current(parent))), { what: 'the parent saying failed', timeoutMs: 10_000 });
  // The status line no longer says the job runs: the watch does not know how it stands any more.
  await waitFor(() => !statusLine()?.text.includes('*Running*'), { what: 'the status line to stop saying Running', timeoutMs: 10_000 });
  stack.azureml.admin.clearFaults();
}, 90_000);
