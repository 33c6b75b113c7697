// Locks through Slack on the real stack: `lock` / `unlock` in the channel, changes to a locked endpoint
// refused at once and privately (slash command and deploy form), a change approved after a lock was set
// refused by the worker, and only approvers lifting a lock.
import pino from 'pino';
import { waitFor } from '../../sandbox/slack/wait-for';
import type { StoredMessage } from '../../sandbox/slack';
import { STACK_CHANNEL, STACK_USERS, startEmbeddedStack, type EmbeddedStack } from '../../dev/embedded-stack';
import type { DeploySpecInput } from '../../src/domain/deploy-spec';
import { deploySpecSchema } from '../../src/domain/deploy-spec';
import { createDeployProgress } from '../../src/domain/deploy-plan';
import { createThreadReader, type ThreadReader } from '../support/stack-probes';
import { deployFields, openDeployModal, requestDeploy } from '../support/user-gestures';

const { requester, approver, bystander } = STACK_USERS;
const ENDPOINT = 'locked-ep';
let stack: EmbeddedStack;
let threads: ThreadReader;

const textOf = (m: { text?: string; blocks?: unknown }): string => `${m.text ?? ''}\n${JSON.stringify(m.blocks ?? [])}`;
const topLevel = (): StoredMessage[] => stack.slack.messages(STACK_CHANNEL).filter((m) => !m.ephemeralTo && (m.thread_ts === undefined || m.thread_ts === m.ts));

async function slash(text: string, user: string): Promise<string> {
  const res = await stack.driver.slash(text, { user, channel: STACK_CHANNEL });
  expect(res.status).toBe(200);
  return JSON.stringify(res.body ?? '');
}

async function defaultDeployment(): Promise<string | undefined> {
  const endpoint = await stack.workers!.azureml.endpoints.get(ENDPOINT);
  return endpoint.properties.defaults?.deploymentName ?? undefined;
}

function spec(deploymentName: string, makeDefault: boolean): DeploySpecInput {
  return {
    endpointName: ENDPOINT,
    deploymentName,
    model: { kind: 'upload', localPath: 'models/mnist', name: 'mnist' },
    code: { kind: 'upload', localPath: 'code/mnist', name: 'score-mnist' },
    scoringScript: 'digit_identification.py',
    environment: { kind: 'image', name: 'mnist-env', image: 'mcr.microsoft.com/azureml/openmpi3.1.2-ubuntu18.04:latest' },
    compute: { kind: 'create', name: 'batch-cluster', vmSize: 'STANDARD_D2_V2', minNodeCount: 0, maxNodeCount: 2 },
    makeDefault,
  };
}

beforeAll(async () => {
  stack = await startEmbeddedStack({ logger: pino({ level: 'silent' }), perChannelIntervalMs: 20, slackRateLimit: 'count' });
  threads = createThreadReader(stack.slack, STACK_CHANNEL);
  for (const [name, makeDefault] of [['blue', true], ['green', false]] as const) {
    const s = deploySpecSchema.parse(spec(name, makeDefault));
    await stack.workers!.azureml.runDeployPlan(s, createDeployProgress(s), async () => undefined);
  }
}, 120_000);

afterAll(async () => {
  await stack?.stop();
});

it('locks with a reason said in the channel, and refuses set-default, delete and a deploy form at once and privately', async () => {
  const locked = await slash(`lock ${ENDPOINT} release freeze until Monday`, requester);
  expect(locked).toContain('in_channel');
  await waitFor(() => topLevel().find((m) => m.text.includes(':lock:') && m.text.includes('release freeze until Monday')), { what: 'the lock note in the channel' });

  const before = topLevel().length;
  for (const command of [`set-default ${ENDPOINT} green`, `delete ${ENDPOINT}`]) {
    const answer = await slash(command, requester);
    expect(answer).toContain('ephemeral');
    expect(answer).toContain('is refused');
    expect(answer).toContain(`locked by <@${requester}> since <!date^`);
    expect(answer).toContain('release freeze until Monday');
  }
  expect(await slash(`lock ${ENDPOINT} again`, bystander)).toContain('already locked by');

  const viewId = await openDeployModal(stack);
  const submitted = await stack.driver.fillAndSubmit(viewId, deployFields(ENDPOINT), { user: requester });
  expect(submitted.outcome.kind).toBe('errors');
  expect(JSON.stringify(submitted.outcome)).toContain(`Deploying to ${ENDPOINT} is refused: it is locked by ${requester}`);

  // No request, no approval, no change.
  expect(topLevel()).toHaveLength(before);
  expect(await defaultDeployment()).toBe('blue');
});

it('lets only an approver unlock', async () => {
  const refused = await slash(`unlock ${ENDPOINT}`, requester);
  expect(refused).toContain('Only approvers can unlock');
  const unlocked = await slash(`unlock ${ENDPOINT}`, approver);
  expect(unlocked).toContain('in_channel');
  expect(unlocked).toContain(`<@${approver}> unlocked`);
  expect(await slash(`unlock ${ENDPOINT}`, approver)).toContain('is not locked');
});

it('refuses in the worker a change approved after its endpoint was locked, and applies it once unlocked', async () => {
  await slash(`set-default ${ENDPOINT} green`, requester);
  const parent = await waitFor(() => threads.parentWith(/Set default.*green/), { what: 'the approval request' });
  // Locked while the request waits for its approval.
  expect(await slash(`lock ${ENDPOINT} incident 4711`, approver)).toContain('in_channel');
  await stack.driver.clickButton({ channel: STACK_CHANNEL, ts: parent.ts }, 'approval-approve', { user: approver });
  const final = await waitFor(() => threads.finalReplies(parent)[0], { what: 'the refusal in the thread', timeoutMs: 30_000 });
  expect(final.text).toMatch(/^:x: <@U0ALICE001> :lock: Changing the default deployment of `locked-ep` is refused/);
  expect(textOf(final)).toContain('incident 4711');
  expect(textOf(threads.current(parent))).toContain('refused: the endpoint is locked');
  expect(await defaultDeployment()).toBe('blue');

  expect(await slash(`unlock ${ENDPOINT}`, approver)).toContain('unlocked');
  await slash(`set-default ${ENDPOINT} green`, requester);
  const again = await waitFor(() => topLevel().filter((m) => /Set default.*green/.test(m.text)).find((m) => m.ts !== parent.ts), { what: 'the second request' });
  await stack.driver.clickButton({ channel: STACK_CHANNEL, ts: again.ts }, 'approval-approve', { user: approver });
  const done = await waitFor(() => threads.finalReplies(again)[0], { what: 'the change', timeoutMs: 30_000 });
  expect(done.text).toMatch(/^:white_check_mark:/);
  expect(await defaultDeployment()).toBe('green');
});

it('refuses in the worker a deploy approved after its endpoint was locked, before any Azure call', async () => {
  const target = 'locked-deploy-ep';
  const parent = await requestDeploy(stack, target);
  expect(await slash(`lock ${target} model under review`, approver)).toContain('in_channel');
  const puts = stack.azureml.admin.requestCount({ method: 'PUT' });
  await stack.driver.clickButton({ channel: STACK_CHANNEL, ts: parent.ts }, 'approval-approve', { user: approver });
  const final = await waitFor(() => threads.finalReplies(parent)[0], { what: 'the refusal in the thread', timeoutMs: 30_000 });
  expect(final.text).toMatch(/^:x: <@U0ALICE001> :lock: Deploying to `locked-deploy-ep` is refused/);
  expect(textOf(final)).toContain('model under review');
  expect(stack.azureml.admin.requestCount({ method: 'PUT' })).toBe(puts);
});
