// The App Home tab through the Slack stand-in on the real stack: opening the tab (a signed Events API
// app_home_opened) publishes, from the bot's stores, the endpoints with their default deployments, the
// viewer's jobs, the approvals they may decide (with working buttons) and the locks.
import pino from 'pino';
import { waitFor } from '../../sandbox/slack/wait-for';
import { STACK_CHANNEL, STACK_USERS, startEmbeddedStack, type EmbeddedStack } from '../../dev/embedded-stack';
import { createDeployProgress } from '../../src/domain/deploy-plan';
import { deploySpecSchema } from '../../src/domain/deploy-spec';
import { createThreadReader } from '../support/stack-probes';

const { requester, approver } = STACK_USERS;
const ENDPOINT = 'home-ep';
let stack: EmbeddedStack;

const homeText = (user: string): string => JSON.stringify(stack.slack.homeTab(user)?.blocks ?? []);

async function openHome(user: string, needle: string): Promise<string> {
  const res = await stack.driver.openAppHome({ user });
  expect(res.status).toBe(200);
  return waitFor(() => (homeText(user).includes(needle) ? homeText(user) : undefined), { what: `${user}'s Home tab showing ${needle}`, timeoutMs: 15_000 });
}

beforeAll(async () => {
  stack = await startEmbeddedStack({ logger: pino({ level: 'silent' }), perChannelIntervalMs: 20, slackRateLimit: 'count' });
  for (const [name, makeDefault] of [['blue', true], ['green', false]] as const) {
    const spec = deploySpecSchema.parse({
      endpointName: ENDPOINT,
      deploymentName: name,
      model: { kind: 'upload', localPath: 'models/mnist', name: 'mnist' },
      code: { kind: 'upload', localPath: 'code/mnist', name: 'score-mnist' },
      scoringScript: 'digit_identification.py',
      environment: { kind: 'image', name: 'mnist-env', image: 'mcr.microsoft.com/azureml/openmpi3.1.2-ubuntu18.04:latest' },
      compute: { kind: 'create', name: 'batch-cluster', vmSize: 'STANDARD_D2_V2', minNodeCount: 0, maxNodeCount: 2 },
      makeDefault,
    });
    await stack.workers!.azureml.runDeployPlan(spec, createDeployProgress(spec), async () => undefined);
  }
  for (let i = 0; i < 3; i++) await stack.azureml.admin.putDatastoreFile(`home/in/${i}.png`, Buffer.from(`digit-${i}`));
}, 120_000);

afterAll(async () => {
  await stack?.stop();
});

it('shows endpoints, the viewer’s jobs, approvals they may decide and locks; Approve on the tab decides', async () => {
  // Endpoints come from the directory the workers keep (a listing refreshes it), never from Azure in Slack's path.
  await stack.driver.slash('endpoints', { user: requester, channel: STACK_CHANNEL });
  await waitFor(() => stack.slack.ephemerals(STACK_CHANNEL, requester).find((m) => m.text.includes(ENDPOINT) || JSON.stringify(m.blocks).includes(ENDPOINT)), { what: 'the endpoint listing' });
  await stack.driver.slash(`run ${ENDPOINT} azureml://datastores/workspaceblobstore/paths/home/in`, { user: requester, channel: STACK_CHANNEL });
  await stack.driver.slash(`set-default ${ENDPOINT} green`, { user: requester, channel: STACK_CHANNEL });
  await stack.driver.slash('lock other-ep <!channel> audit *freeze*', { user: approver, channel: STACK_CHANNEL });
  const threads = createThreadReader(stack.slack, STACK_CHANNEL);
  const approval = await waitFor(() => threads.parentWith(/Set default.*green/), { what: 'the approval request' });

  const mine = await openHome(requester, 'job');
  expect(mine).toContain(`\`${ENDPOINT}\` · default \`blue\``);
  expect(mine).toMatch(/Run a batch scoring job on home-ep/);
  expect(mine).toContain('Waiting for your decision* (0)');
  expect(mine).toContain(':lock: `other-ep` locked by <@U0CAROL001>');
  expect(mine).toContain('&lt;!channel&gt; audit');
  expect(mine).not.toContain('<!channel>');

  const theirs = await openHome(approver, 'Waiting for your decision* (1)');
  expect(theirs).toContain('approval-approve');
  const click = await stack.driver.clickHomeButton('approval-approve', { user: approver });
  expect(click.status).toBe(200);
  await waitFor(() => (homeText(approver).includes('Approved; the work is queued') ? true : undefined), { what: 'the tab after the click' });
  expect(homeText(approver)).toContain('Waiting for your decision* (0)');
  const done = await waitFor(() => threads.finalReplies(approval)[0], { what: 'the change', timeoutMs: 30_000 });
  expect(done.text).toMatch(/^:white_check_mark:/);
});
