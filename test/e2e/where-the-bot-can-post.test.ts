// A slash command arrives from any conversation, but the bot can post only where it was invited
// (chat.postMessage answers not_in_channel for a public channel without it, channel_not_found for a
// private channel, a DM between people or a group DM without it; is_archived for an archived channel).
// A run or deploy from such a place is answered at once, in the acknowledgement, and nothing is queued,
// posted or asked of Azure. Real Bolt receiver, real queues, the stand-ins over HTTP.
import pino from 'pino';
import { STACK_USERS, startEmbeddedStack, type EmbeddedStack } from '../../dev/embedded-stack';
import { QUEUE_NAMES } from '../../src/queue/queue-names';
import { createQueueInspector, textOf, type QueueInspector } from '../support/stack-probes';

const { requester, bystander, approver } = STACK_USERS;
const BOT = 'U0BATCHBOT1';
const PUBLIC_WITHOUT_BOT = 'C0NOBOT0001';
const PRIVATE_WITHOUT_BOT = 'G0PRIVATE01';
const PRIVATE_C_WITHOUT_BOT = 'C0PRIVATE02';
const DM_BETWEEN_PEOPLE = 'D0ALICEBOB1';
const GROUP_DM = 'G0MPDMABC01';
const BOTS_OWN_DM = 'D0ALICEBOT1';
const ARCHIVED = 'C0ARCHIVED1';
const INVITED_LATER = 'C0INVITED01';

let stack: EmbeddedStack;
let queues: QueueInspector;

beforeAll(async () => {
  stack = await startEmbeddedStack({ logger: pino({ level: 'silent' }), slackRateLimit: 'count' });
  queues = createQueueInspector(stack.redis.url, stack.config.redis.queuePrefix);
  const people = [requester, bystander, approver];
  stack.slack.addConversation({ id: PUBLIC_WITHOUT_BOT, name: 'data-science' });
  stack.slack.addConversation({ id: PRIVATE_WITHOUT_BOT, name: 'secret-project', type: 'private_channel', members: people });
  stack.slack.addConversation({ id: PRIVATE_C_WITHOUT_BOT, name: 'newer-private', type: 'private_channel', members: people });
  stack.slack.addConversation({ id: DM_BETWEEN_PEOPLE, name: 'alice-bob', type: 'im', members: [requester, bystander] });
  stack.slack.addConversation({ id: GROUP_DM, name: 'mpdm-alice--bob--carol-1', type: 'mpim', members: people });
  stack.slack.addConversation({ id: BOTS_OWN_DM, name: 'alice-bot', type: 'im', members: [requester, BOT] });
  stack.slack.addConversation({ id: ARCHIVED, name: 'old-project', botIsMember: true, isArchived: true });
  stack.slack.addConversation({ id: INVITED_LATER, name: 'invited-later' });
}, 60_000);

afterAll(async () => {
  await queues?.close();
  await stack?.stop();
});

const ackText = (body: unknown): string => (typeof body === 'string' ? body : textOf(body as { text: string; blocks?: unknown[] }));
// The workers' own rhythm, unrelated to any request: the endpoint directory's refresh (a repeatable ops
// job listing batch endpoints).
const WORK_QUEUES = [QUEUE_NAMES.deploy, QUEUE_NAMES.run, QUEUE_NAMES.watch, QUEUE_NAMES.notify];
const BACKGROUND = /^GET [^?]*\/batchEndpoints\?/;
const posts = () => stack.slack.callLog.filter((c) => c.method === 'chat.postMessage');

async function expectRefusedAtOnce(channel: string, text: string, answer: RegExp): Promise<void> {
  const azureCalls = stack.azureml.requestLog.length;
  const postsBefore = posts().length;
  const viewsBefore = stack.slack.views().length;
  const jobsBefore = await queues.total(WORK_QUEUES);
  const res = await stack.driver.slash(text, { user: requester, channel });
  expect(res.status).toBe(200);
  expect(ackText(res.body)).toMatch(answer);
  expect(ackText(res.body)).toMatch(/Nothing was started/);
  // The acknowledgement is the whole answer: nothing queued, posted, opened, or asked of Azure.
  expect(await queues.total(WORK_QUEUES)).toBe(jobsBefore);
  expect(posts().length).toBe(postsBefore);
  expect(stack.slack.views().length).toBe(viewsBefore);
  expect(stack.azureml.requestLog.slice(azureCalls).filter((e) => !BACKGROUND.test(`${e.method} ${e.url}`))).toEqual([]);
}

const RUN = 'run mnist-where https://data.example.com/in/';

describe('a request from a conversation the bot cannot post in is answered in the acknowledgement', () => {
  it.each([
    ['a public channel the bot was not invited to', PUBLIC_WITHOUT_BOT, /not in this channel.*\/invite @batch-score/s],
    ['a private channel (G…) without the bot', PRIVATE_WITHOUT_BOT, /cannot post in this conversation/],
    ['a private channel (C…) without the bot', PRIVATE_C_WITHOUT_BOT, /cannot post in this conversation/],
    ['a DM between two people', DM_BETWEEN_PEOPLE, /cannot post in this conversation/],
    ['a group DM without the bot', GROUP_DM, /cannot post in this conversation/],
    ['an archived channel', ARCHIVED, /archived/],
  ])('run and deploy from %s', async (_what, channel, answer) => {
    await expectRefusedAtOnce(channel, RUN, answer);
    await expectRefusedAtOnce(channel, 'deploy', answer);
    await expectRefusedAtOnce(channel, 'delete mnist-where', answer);
  });

  it('sends a DM command as Slack does: channel_name directmessage', async () => {
    await stack.driver.slash('help', { user: requester, channel: DM_BETWEEN_PEOPLE });
    const received = stack.slack.ephemerals(DM_BETWEEN_PEOPLE, requester);
    expect(received.at(-1)?.text).toMatch(/commands/);
  });

  it('refuses a gated request from the bot’s own DM, where no approver would see the approval', async () => {
    await expectRefusedAtOnce(BOTS_OWN_DM, 'deploy', /approvers cannot see this direct message/);
  });

  it('refuses a channel until the bot is invited there', async () => {
    await expectRefusedAtOnce(INVITED_LATER, RUN, /not in this channel/);
  });

  it('answers look-ups anywhere: they reply through the response_url, which needs no membership', async () => {
    const res = await stack.driver.slash('endpoints', { user: requester, channel: PRIVATE_WITHOUT_BOT });
    expect(ackText(res.body)).toMatch(/Looking that up/);
  });
});

// Accepted requests last: their follow-ups (the Azure pre-check, the thread) keep the queues busy.
describe('where the bot can post, the request is taken', () => {
  const taken = /is queued|Checking request/;

  /** A taken request does not end in silence: its answer (here the pre-check's: no such endpoint) reaches the requester. */
  async function expectRequesterTold(channel: string): Promise<void> {
    const told = await stack.driver.waitFor(
      () => stack.slack.responseUrlPosts().find((p) => p.channel === channel && p.user === requester && p.outcome === 'posted' && /There is no/.test(ackText(p.body))),
      { what: `the answer to the requester in ${channel}`, timeoutMs: 30_000 },
    );
    expect(ackText(told.body)).toMatch(/mnist-where/);
  }

  it('takes a run from the bot’s own DM, and answers the requester there', async () => {
    const res = await stack.driver.slash(RUN, { user: requester, channel: BOTS_OWN_DM });
    expect(ackText(res.body)).toMatch(taken);
    await expectRequesterTold(BOTS_OWN_DM);
  });

  it('takes the request once the bot is invited (refusals are not cached), and answers the requester', async () => {
    stack.slack.invite(INVITED_LATER);
    const res = await stack.driver.slash(RUN, { user: requester, channel: INVITED_LATER });
    expect(ackText(res.body)).toMatch(taken);
    await expectRequesterTold(INVITED_LATER);
  });
});
