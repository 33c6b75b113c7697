// One bot, two Azure ML workspaces, as issue 16 asks: `dev` on the public cloud bound to the team's channel,
// `prod` on Azure China bound to its own channel with its own approver. Each sandbox accepts only tokens for
// its own cloud's audiences, so a deploy and a run that reach the right one prove the worker used that
// profile's client and credential. Approvals follow the request's workspace, a channel bound to neither is
// refused with a clear message, and every message of a request names its workspace.
import pino from 'pino';
import { STACK_CHANNEL, STACK_USERS, startEmbeddedStack, type EmbeddedStack } from '../../dev/embedded-stack';
import type { AzureMlSandbox } from '../../sandbox/azureml';
import type { StoredMessage } from '../../sandbox/slack';
import { createThreadReader, textOf } from '../support/stack-probes';
import { requestDeploy } from '../support/user-gestures';

const PROD_CHANNEL = 'C0PROD00001';
const ELSEWHERE = 'C0RANDOM001';
/** Approves prod changes only (not in the stack's approvers' group); STACK_USERS.approver approves dev's. */
const PROD_APPROVER = STACK_USERS.bystander;
const ENDPOINT = 'mnist-two';

let stack: EmbeddedStack;
let prod: AzureMlSandbox;

beforeAll(async () => {
  stack = await startEmbeddedStack({
    logger: pino({ level: 'silent' }),
    perChannelIntervalMs: 20,
    slackRateLimit: 'count',
    workspaces: { first: 'dev', others: [{ name: 'prod', cloud: 'AzureChinaCloud', channels: [PROD_CHANNEL], approvers: [PROD_APPROVER] }] },
  });
  prod = stack.workspaceSandboxes.get('prod')!;
  for (const [id, name] of [[PROD_CHANNEL, 'ml-prod'], [ELSEWHERE, 'random']] as const) {
    stack.slack.addConversation({ id, name });
    stack.slack.invite(id);
  }
}, 60_000);

afterAll(async () => {
  await stack?.stop();
});

const endpointsOf = (sandbox: AzureMlSandbox): string[] => (sandbox.admin.resources().batchEndpoints ?? []).map((e) => String(e.name));
const everyMessageOf = (channel: string, parent: StoredMessage): StoredMessage[] => stack.slack.thread(channel, parent.ts);

it('is configured with two profiles, the second on Azure China', () => {
  expect(stack.config.profiles.map((p) => [p.name, p.azure.cloud])).toEqual([
    ['dev', 'AzureCloud'],
    ['prod', 'AzureChinaCloud'],
  ]);
  expect(prod.cloud).toBe('AzureChinaCloud');
});

it('deploys to the workspace of the channel, approved only by that workspace\'s approvers', async () => {
  const threads = createThreadReader(stack.slack, PROD_CHANNEL);
  const parent = await requestDeploy(stack, ENDPOINT, { channel: PROD_CHANNEL });
  expect(textOf(parent)).toContain('Workspace *prod*');

  // dev's approver may not decide a prod change: the request stays pending.
  await stack.driver.clickButton({ channel: PROD_CHANNEL, ts: parent.ts }, 'approval-approve', { user: STACK_USERS.approver });
  await stack.driver.waitFor(() => stack.slack.ephemerals(PROD_CHANNEL, STACK_USERS.approver).find((m) => /approver/i.test(textOf(m))), {
    what: 'the refusal of a dev approver',
  });
  expect(endpointsOf(prod)).not.toContain(ENDPOINT);

  await stack.driver.clickButton({ channel: PROD_CHANNEL, ts: parent.ts }, 'approval-approve', { user: PROD_APPROVER });
  const final = await stack.driver.waitFor(() => threads.finalReplies(parent)[0], { what: 'the deploy to prod', timeoutMs: 60_000 });
  expect(final.text).toContain('deployed');
  expect(endpointsOf(prod)).toContain(ENDPOINT);
  expect(endpointsOf(stack.azureml)).not.toContain(ENDPOINT);
  // Every message of the request names its workspace.
  for (const m of everyMessageOf(PROD_CHANNEL, parent)) expect(textOf(m)).toContain('Workspace *prod*');
}, 90_000);

it('runs a scoring job in the channel\'s workspace with that cloud\'s tokens and studio links', async () => {
  for (let i = 0; i < 3; i++) await prod.admin.putDatastoreFile(`${ENDPOINT}/in/${i}.png`, Buffer.from(`digit-${i}`));
  const threads = createThreadReader(stack.slack, PROD_CHANNEL);
  const before = new Set(stack.slack.messages(PROD_CHANNEL).map((m) => m.ts));
  await stack.driver.slash(`run ${ENDPOINT} azureml://datastores/workspaceblobstore/paths/${ENDPOINT}/in`, { user: STACK_USERS.requester, channel: PROD_CHANNEL });
  const parent = await stack.driver.waitFor(() => stack.slack.messages(PROD_CHANNEL).find((m) => !before.has(m.ts) && textOf(m).includes('run')), { what: 'the run request' });
  const final = await stack.driver.waitFor(() => threads.finalReplies(parent)[0], { what: 'the final reply', timeoutMs: 60_000 });
  expect(final.text).toContain('completed');
  expect(JSON.stringify(final.blocks)).toContain('https://studio.ml.azure.cn/');
  expect(prod.admin.listJobs().map((j) => (j.properties as { experimentName?: string }).experimentName)).toContain(ENDPOINT);
  expect(stack.azureml.admin.listJobs()).toHaveLength(0);
  for (const m of everyMessageOf(PROD_CHANNEL, parent)) expect(textOf(m)).toContain('Workspace *prod*');
}, 90_000);

it('refuses --workspace prod in a channel bound only to dev, and says how to bind it', async () => {
  const res = await stack.driver.slash(`endpoints --workspace prod`, { user: STACK_USERS.requester, channel: STACK_CHANNEL });
  expect(res.status).toBe(200);
  const refusal = await stack.driver.waitFor(
    () => [JSON.stringify(res.body), ...stack.slack.ephemerals(STACK_CHANNEL, STACK_USERS.requester).map(textOf)].find((t) => t.includes('not bound to this channel')),
    { what: 'the refusal' },
  );
  expect(refusal).toContain('WORKSPACE_PROD_CHANNELS');
});

it('refuses work in a channel bound to no workspace, and names the variables that bind one', async () => {
  const res = await stack.driver.slash(`run ${ENDPOINT} https://example.com/data/`, { user: STACK_USERS.requester, channel: ELSEWHERE });
  expect(res.status).toBe(200);
  const refusal = await stack.driver.waitFor(
    () => [JSON.stringify(res.body), ...stack.slack.ephemerals(ELSEWHERE, STACK_USERS.requester).map(textOf)].find((t) => t.includes('not bound to any')),
    { what: 'the refusal' },
  );
  expect(refusal).toContain('WORKSPACE_DEV_CHANNELS');
  expect(stack.slack.messages(ELSEWHERE).filter((m) => m.ephemeralTo === undefined)).toHaveLength(0);
});

it('answers look-ups from the workspace named with --workspace where the channel may use it', async () => {
  const res = await stack.driver.slash(`endpoints`, { user: STACK_USERS.requester, channel: PROD_CHANNEL });
  expect(res.status).toBe(200);
  const answer = await stack.driver.waitFor(
    () => stack.slack.ephemerals(PROD_CHANNEL, STACK_USERS.requester).map(textOf).find((t) => t.includes(ENDPOINT)),
    { what: 'the endpoints of prod', timeoutMs: 20_000 },
  );
  expect(answer).toContain('Workspace *prod*');
});

it('says in help which workspaces there are and which this channel uses', async () => {
  const res = await stack.driver.slash('help', { user: STACK_USERS.requester, channel: ELSEWHERE });
  expect(res.status).toBe(200);
  const help = JSON.stringify(res.body);
  expect(help).toContain('Workspaces: `dev`, `prod`');
  expect(help).toContain('This channel is bound to no workspace');
  const inProd = JSON.stringify((await stack.driver.slash('help', { user: STACK_USERS.requester, channel: PROD_CHANNEL })).body);
  expect(inProd).toContain('This channel uses `prod`');
  expect(inProd).toContain('--workspace');
});
