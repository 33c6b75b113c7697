// Plan, approve, apply, through the Slack stand-in on the real stack: the approval message shows what the
// change will do against what exists now (a redeploy's settings diff, a delete's deployments and running
// jobs, a set-default's traffic move), and a change to what exists between the plan and the click is not
// applied: the thread says so and the new plan goes to the approvers as a new request.
import pino from 'pino';
import { waitFor } from '../../sandbox/slack/wait-for';
import { renderMessage } from '../../sandbox/slack/render-text';
import type { StoredMessage } from '../../sandbox/slack';
import { exampleDeploySpec, STACK_CHANNEL, STACK_USERS, startEmbeddedStack, type EmbeddedStack } from '../../dev/embedded-stack';
import { createDeployProgress } from '../../src/domain/deploy-plan';
import type { DeploySpec } from '../../src/domain/deploy-spec';
import { createThreadReader, type ThreadReader } from '../support/stack-probes';
import { requestDeploy } from '../support/user-gestures';

const { requester, approver } = STACK_USERS;
let stack: EmbeddedStack;
let threads: ThreadReader;

const textOf = (m: { text?: string; blocks?: unknown }): string => `${m.text ?? ''}\n${JSON.stringify(m.blocks ?? [])}`;
const topLevel = (): StoredMessage[] => stack.slack.messages(STACK_CHANNEL).filter((m) => !m.ephemeralTo && (m.thread_ts === undefined || m.thread_ts === m.ts));
const rendered = (m: StoredMessage): string => renderMessage(m);

async function deployDirectly(spec: DeploySpec): Promise<void> {
  await stack.workers!.azureml.runDeployPlan(spec, createDeployProgress(spec), async () => undefined);
}

async function slash(text: string): Promise<void> {
  const res = await stack.driver.slash(text, { user: requester, channel: STACK_CHANNEL });
  expect(res.status).toBe(200);
}

async function approvalFor(pattern: RegExp, except: ReadonlySet<string> = new Set()): Promise<StoredMessage> {
  return waitFor(() => topLevel().find((m) => !except.has(m.ts) && pattern.test(m.text) && textOf(m).includes('approval-approve')), {
    what: `an approval request matching ${pattern}`,
    timeoutMs: 20_000,
  });
}

beforeAll(async () => {
  stack = await startEmbeddedStack({ logger: pino({ level: 'silent' }), perChannelIntervalMs: 20, slackRateLimit: 'count' });
  threads = createThreadReader(stack.slack, STACK_CHANNEL);
  await deployDirectly(exampleDeploySpec('plan-ep'));
  await deployDirectly(exampleDeploySpec('plan-ep', { deploymentName: 'green', makeDefault: false }));
}, 120_000);

afterAll(async () => {
  await stack?.stop();
});

it("shows a redeploy's settings diff against the live deployment, and reuses what is registered", async () => {
  const parent = await requestDeploy(stack, 'plan-ep', { overrides: { instance_count: '3', mini_batch_size: '7' } });
  const approval = await approvalFor(/plan-ep/);
  expect(approval.ts).toBe(parent.ts);
  const text = rendered(approval);
  expect(text).toContain('*Plan* (against what exists now):');
  expect(text).toMatch(/reuse\* cluster `batch-cluster`/);
  expect(text).toMatch(/reuse\* model `mnist:[0-9a-f]{16}` · the same content is registered/);
  expect(text).toMatch(/change\* deployment `mnist-torch`/);
  expect(text).toMatch(/instanceCount: `1` → `3`/);
  expect(text).toMatch(/miniBatchSize: `5` → `7`/);
  expect(text).not.toMatch(/errorThreshold:/);
  expect(text).toMatch(/unchanged\* default `mnist-torch`/);
});

it("lists a delete's deployments and a running job", async () => {
  // A batch scoring job still running on the endpoint, and one that ended (not listed).
  stack.azureml.admin.addPastJob({ name: 'plan-job-running', kind: 'batch-scoring', experimentName: 'plan-ep', status: 'Running', deploymentName: 'mnist-torch' });
  stack.azureml.admin.addPastJob({ name: 'plan-job-done', kind: 'batch-scoring', experimentName: 'plan-ep', status: 'Completed', deploymentName: 'mnist-torch' });
  await slash('delete plan-ep');
  const approval = await approvalFor(/[Dd]elete.*plan-ep/);
  const text = rendered(approval);
  expect(text).toMatch(/remove\* endpoint `plan-ep`/);
  expect(text).toMatch(/remove\* deployment `green`/);
  expect(text).toMatch(/remove\* deployment `mnist-torch` · the default/);
  expect(text).toMatch(/running\* job `plan-job-running` · Running: deleting the endpoint ends it/);
  expect(text).not.toContain('plan-job-done');
});

it("shows a set-default's traffic move", async () => {
  await slash('set-default plan-ep green');
  const approval = await approvalFor(/[Ss]et default.*green/);
  expect(rendered(approval)).toMatch(/move\* default `green` · traffic moves from mnist-torch to green/);
});

it('recomputes instead of applying when what exists changed between the plan and the click', async () => {
  await deployDirectly(exampleDeploySpec('replan-ep'));
  await deployDirectly(exampleDeploySpec('replan-ep', { deploymentName: 'green', makeDefault: false }));
  await deployDirectly(exampleDeploySpec('replan-ep', { deploymentName: 'blue', makeDefault: false }));
  await slash('set-default replan-ep green');
  const first = await approvalFor(/[Ss]et default.*replan-ep/);
  expect(rendered(first)).toMatch(/traffic moves from mnist-torch to green/);
  // Another deployment becomes the default behind the bot's back (ARM, as another tool would).
  await stack.workers!.azureml.endpoints.setDefaultDeploymentAndWait('replan-ep', 'blue');
  await stack.driver.clickButton({ channel: STACK_CHANNEL, ts: first.ts }, 'approval-approve', { user: approver });
  const final = await waitFor(() => threads.finalReplies(first)[0], { what: 'the refusal in the thread', timeoutMs: 30_000 });
  expect(final.text).toMatch(/What exists changed since the plan was shown, so nothing was applied/);
  const endpoint = await stack.workers!.azureml.endpoints.get('replan-ep');
  expect(endpoint.properties.defaults?.deploymentName).toBe('blue');
  // Asked again with the new plan, under the same rules (an approval, not applied).
  const second = await approvalFor(/[Ss]et default.*replan-ep/, new Set([first.ts]));
  expect(rendered(second)).toMatch(/traffic moves from blue to green/);
  await stack.driver.clickButton({ channel: STACK_CHANNEL, ts: second.ts }, 'approval-approve', { user: approver });
  const done = await waitFor(() => threads.finalReplies(second)[0], { what: 'the change', timeoutMs: 30_000 });
  expect(done.text).toMatch(/^:white_check_mark:/);
  expect((await stack.workers!.azureml.endpoints.get('replan-ep')).properties.defaults?.deploymentName).toBe('green');
});
