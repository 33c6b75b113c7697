// Invoking a batch endpoint is not idempotent. When an earlier attempt's invoke reached the service but its
// answer was lost (a timeout, a worker killed before it saved the job name), the retry adopts the job the
// service started instead of starting a second one.
import pino from 'pino';
import { createDeployProgress } from '../../src/azureml/deploy-plan';
import { parseDataReference } from '../../src/domain/data-reference';
import { exampleDeploySpec, STACK_CHANNEL, STACK_USERS, startEmbeddedStack, type EmbeddedStack } from '../../src/embedded-stack';
import { runSpecSchema } from '../../src/domain/run-spec';

const ENDPOINT = 'lost-answer';
let stack: EmbeddedStack;

beforeAll(async () => {
  stack = await startEmbeddedStack({ logger: pino({ level: 'silent' }), perChannelIntervalMs: 20, slackRateLimit: 'count' });
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
  const postsBefore = stack.azureml.admin.requestCount({ method: 'POST', path: new RegExp(`/batchEndpoints/${ENDPOINT}/jobs$`) });

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
  expect(stack.azureml.admin.requestCount({ method: 'POST', path: new RegExp(`/batchEndpoints/${ENDPOINT}/jobs$`) })).toBe(postsBefore);
  expect(stack.azureml.admin.listJobs().filter((j) => (j.properties as { experimentName?: string }).experimentName === ENDPOINT)).toHaveLength(1);
});
