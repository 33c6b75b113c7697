// The rest of the e2e scenarios over Socket Mode (deploy, run, rejection and malformed input run over both
// transports in deploy-and-run.test.ts): look-ups, cancel, and Slack refreshing the bot's connection in the
// middle of a deploy — the approval and later commands arrive on the new connection, the deploy finishes
// once, and nothing is lost or posted twice.
import pino from 'pino';
import { STACK_CHANNEL, STACK_USERS, startEmbeddedStack, type EmbeddedStack } from '../../dev/embedded-stack';
import { duplicatePosts } from '../support/slack-deliveries';
import { createThreadReader, JOB_MESSAGE, textOf, type ThreadReader } from '../support/stack-probes';
import { requestDeploy } from '../support/user-gestures';

const { requester, approver } = STACK_USERS;
const ENDPOINT = 'mnist-socket';
let stack: EmbeddedStack;
let threads: ThreadReader;

const openConnections = (): string[] => stack.slack.socketMode.connections().filter((c) => c.open).map((c) => c.id);

async function privateAnswer(needle: string): Promise<void> {
  await stack.driver.waitFor(() => stack.slack.ephemerals(STACK_CHANNEL, requester).find((m) => textOf(m).includes(needle)), { what: `an answer with ${needle}`, timeoutMs: 20_000 });
}

beforeAll(async () => {
  stack = await startEmbeddedStack({ logger: pino({ level: 'silent' }), perChannelIntervalMs: 50, slackRateLimit: 'count', socketMode: true, timeScale: 0.01 });
  threads = createThreadReader(stack.slack, STACK_CHANNEL);
});

afterAll(async () => {
  await stack?.stop();
});

it('finishes a deploy once when Slack refreshes the connection in the middle of it; later commands use the new connection', async () => {
  const parent = await requestDeploy(stack, ENDPOINT);
  const approved = await stack.driver.clickButton({ channel: STACK_CHANNEL, ts: parent.ts }, 'approval-approve', { user: approver });
  expect(approved.status).toBe(200);
  // Mid-deploy: the checklist is in the thread, the final reply is not.
  await stack.driver.waitFor(() => threads.replies(parent).length > 0 && threads.finalReplies(parent).length === 0, { what: 'the deploy under way' });
  const before = openConnections();
  stack.slack.socketMode.refresh();
  await stack.driver.waitFor(() => openConnections().length === 1 && !before.includes(openConnections()[0]!), { what: 'the bot on a new connection', timeoutMs: 30_000 });

  const lookup = await stack.driver.slash('endpoints', { user: requester, channel: STACK_CHANNEL });
  expect(lookup.status).toBe(200);
  await stack.driver.waitFor(() => threads.finalReplies(parent)[0], { what: 'the deploy reply', timeoutMs: 60_000 });
  await privateAnswer(ENDPOINT);

  expect(threads.finalReplies(parent)).toHaveLength(1);
  expect(threads.finalReplies(parent)[0]!.text).toContain('deployed');
  expect(stack.azureml.admin.requestCount({ method: 'PUT', path: new RegExp(`/batchEndpoints/${ENDPOINT}/deployments/[^/]+$`, 'i') })).toBe(1);
  expect(duplicatePosts(stack.slack)).toEqual([]);
  const envelopes = stack.slack.socketMode.envelopes();
  expect(envelopes.every((e) => e.acks === 1)).toBe(true);
  expect(new Set(envelopes.map((e) => e.connectionId)).size).toBe(2);
}, 120_000);

it('answers look-ups privately and cancels a running job', async () => {
  // Enough items that the job is still running when the cancel arrives (as in job-buttons.test.ts).
  for (let i = 0; i < 80; i++) await stack.azureml.admin.putDatastoreFile(`${ENDPOINT}/in/${i}.png`, Buffer.from(`digit-${i}`));
  await stack.driver.slash(`show ${ENDPOINT}`, { user: requester, channel: STACK_CHANNEL });
  await privateAnswer('mnist-torch');

  const before = new Set(stack.slack.messages(STACK_CHANNEL).map((m) => m.ts));
  await stack.driver.slash(`run ${ENDPOINT} azureml://datastores/workspaceblobstore/paths/${ENDPOINT}/in`, { user: requester, channel: STACK_CHANNEL });
  const run = await stack.driver.waitFor(() => stack.slack.messages(STACK_CHANNEL).find((m) => !before.has(m.ts) && textOf(m).includes(ENDPOINT)), { what: 'the run request' });
  const started = await stack.driver.waitFor(() => threads.replies(run).find((r) => JOB_MESSAGE.test(r.text)), { what: 'the job started' });
  const jobName = /`([^`]+)`/.exec(started.text)![1]!;
  const cancel = await stack.driver.slash(`cancel ${jobName}`, { user: requester, channel: STACK_CHANNEL });
  expect(cancel.status).toBe(200);
  // The cancel arrived over the socket and was carried out: its confirmation in the job's thread, or, had
  // the job ended first after all, the requester told so privately; never silence.
  const said = await stack.driver.waitFor(
    () =>
      threads.replies(run).find((r) => r.text.includes(`Cancel requested for job ${jobName}`)) ??
      stack.slack.ephemerals(STACK_CHANNEL, requester).find((m) => textOf(m).includes(`Job \`${jobName}\` already finished`)),
    { what: 'the cancel confirmation (or that the job had already finished)', timeoutMs: 30_000 },
  );
  const canceled = textOf(said).includes('Cancel requested');
  const isFinal = (r: { text: string }): boolean => /^:(white_check_mark|x|no_entry_sign):/.test(r.text) && r.text.includes('<@') && !r.text.includes('`cancel`');
  const final = await stack.driver.waitFor(() => threads.replies(run).find(isFinal), { what: 'the run reply', timeoutMs: 30_000 }).catch((err: Error) => {
    throw new Error(`${err.message}; thread: ${threads.replies(run).map((r) => r.text).join(' | ')}`);
  });
  // A cancel Azure took ends the run canceled, reported exactly once.
  if (canceled) expect(final.text).toMatch(/^:no_entry_sign:/);
  expect(threads.replies(run).filter(isFinal)).toHaveLength(1);
  expect(stack.slack.socketMode.envelopes().every((e) => e.acks === 1)).toBe(true);
}, 120_000);

it('publishes the Home tab when the user opens it: the event arrives as an events_api envelope', async () => {
  const res = await stack.driver.openAppHome({ user: requester });
  expect(res.status).toBe(200);
  await stack.driver.waitFor(() => stack.slack.homeTab(requester), { what: 'the Home tab published', timeoutMs: 15_000 });
  const events = stack.slack.socketMode.envelopes().filter((e) => e.type === 'events_api');
  expect(events).toHaveLength(1);
  expect(events[0]).toMatchObject({ acks: 1, acceptsResponsePayload: false });
}, 30_000);
