// Invoking a batch endpoint is not idempotent. When an earlier attempt's invoke reached the service but its
// answer was lost (a timeout, a worker killed before it saved the job name), the retry adopts the job the
// service started instead of starting a second one.
import pino from 'pino';
import { createDeployProgress } from '../../src/domain/deploy-plan';
import { parseDataReference } from '../../src/domain/data-reference';
import { exampleDeploySpec, STACK_CHANNEL, STACK_USERS, startEmbeddedStack, type EmbeddedStack } from '../../dev/embedded-stack';
import { runSpecSchema } from '../../src/domain/run-spec';

const ENDPOINT = 'lost-answer';
let stack: EmbeddedStack;

beforeAll(async () => {
  stack = await startEmbeddedStack({ logger: pino({ level: process.env.DEBUG_LOST ? 'info' : 'silent' }), perChannelIntervalMs: 20, slackRateLimit: 'count' });
  const spec = exampleDeploySpec(ENDPOINT);
  await stack.workers!.azureml.runDeployPlan(spec, createDeployProgress(spec), async () => undefined);
  for (let i = 0; i < 4; i++) await stack.azureml.admin.putDatastoreFile(`${ENDPOINT}/in/${i}.png`, Buffer.from(`digit-${i}`));
}, 120_000);

afterAll(async () => {
  await stack?.stop();
});

it('adopts the job an earlier attempt started instead of invoking twice', async () => {
  const spec = runSpecSchema.parse({
    endpointName: ENDPOINT,
    input: { kind: 'UriFolder', uri: `azureml://datastores/workspaceblobstore/paths/${ENDPOINT}/in` },
  });
  const firstAttemptAt = Date.now();
  // The earlier attempt: its invoke reached the service, then the worker lost the answer.
  const lost = await stack.workers!.azureml.scoring.invoke({ endpointName: ENDPOINT, input: { ref: parseDataReference(spec.input.uri), type: 'UriFolder' } });
  const postsBefore = stack.azureml.admin.requestCount({ method: 'POST', path: new RegExp(`/batchEndpoints/${ENDPOINT}/jobs$`, 'i') });

  // The retry, with the first attempt's checkpoint but no job name.
  await stack.bot.deps.producers.run({
    requestId: 'rlostanswer01',
    requester: { userId: STACK_USERS.requester, teamId: stack.slack.teamId, channelId: STACK_CHANNEL },
    spec,
    invokeStartedAt: firstAttemptAt,
  });

  const final = await stack.driver.waitFor(
    () => stack.slack.messages(STACK_CHANNEL).flatMap((m) => stack.slack.thread(STACK_CHANNEL, m.ts)).find((r) => r.text.includes(lost.jobName) && r.text.includes('completed')),
    { what: 'the final reply about the adopted job', timeoutMs: 30_000 },
  );
  expect(final.text).toContain(lost.jobName);
  expect(stack.azureml.admin.requestCount({ method: 'POST', path: new RegExp(`/batchEndpoints/${ENDPOINT}/jobs$`, 'i') })).toBe(postsBefore);
  expect(stack.azureml.admin.listJobs().filter((j) => (j.properties as { experimentName?: string }).experimentName === ENDPOINT)).toHaveLength(1);
});

describe.each([
  ['a 504 after the service accepted it', { status: 504 }],
  ['a connection reset after the service accepted it', { reset: true }],
])('an invoke whose answer is lost to %s', (_what, fault) => {
  it('starts exactly one job, finds it instead of invoking again, and replies about it', async () => {
    const endpointJobs = () => stack.azureml.admin.listJobs().filter((j) => (j.properties as { experimentName?: string }).experimentName === ENDPOINT);
    const before = endpointJobs().length;
    const posts = () => stack.azureml.admin.requestCount({ method: 'POST', path: new RegExp(`/batchEndpoints/${ENDPOINT}/jobs$`, 'i') });
    const postsBefore = posts();
    stack.azureml.admin.injectFault({ match: { method: 'POST', path: `/batchEndpoints/${ENDPOINT}/jobs$` }, count: 1, after: true, ...fault });
    const requestId = `rlost${'status' in fault ? '504' : 'reset'}01`;
    await stack.bot.deps.producers.run({
      requestId,
      requester: { userId: STACK_USERS.requester, teamId: stack.slack.teamId, channelId: STACK_CHANNEL },
      spec: runSpecSchema.parse({ endpointName: ENDPOINT, input: { kind: 'UriFolder', uri: `azureml://datastores/workspaceblobstore/paths/${ENDPOINT}/in` } }),
    });
    const created = await stack.driver.waitFor(() => (endpointJobs().length > before ? endpointJobs()[before] : undefined), { what: 'the job the lost invoke started' });
    const jobName = created.name as string;
    await stack.driver.waitFor(
      () => stack.slack.messages(STACK_CHANNEL).flatMap((m) => stack.slack.thread(STACK_CHANNEL, m.ts)).find((r) => r.text.includes(jobName) && r.text.includes('completed')),
      { what: 'the final reply about the job the lost invoke started', timeoutMs: 30_000 },
    );
    expect(posts()).toBe(postsBefore + 1);
    expect(endpointJobs()).toHaveLength(before + 1);
    expect(stack.azureml.admin.jobRepeatabilityId(jobName)).toEqual(expect.any(String));
  });
});
