// Real Slack, not our idea of it, through the whole stack (Bolt HTTP receiver, BullMQ on redis-server, the
// Azure ML sandbox on Azurite, the Slack stand-in): the text of a slash command arrives escaped with its
// links wrapped and still reaches Azure byte for byte; a channel archived after the request was taken
// and a bot token revoked mid-flight each end with the requester told, never a silent dead letter.
import pino from 'pino';
import { STACK_USERS, exampleDeploySpec, startEmbeddedStack, type EmbeddedStack } from '../../dev/embedded-stack';
import type { StoredMessage } from '../../sandbox/slack';

const { requester } = STACK_USERS;
const ENDPOINT = 'mnist-asitis';
const INPUT = `azureml://datastores/workspaceblobstore/paths/${ENDPOINT}/in`;
let stack: EmbeddedStack;

const textOf = (m: StoredMessage): string => `${m.text}\n${JSON.stringify(m.blocks ?? [])}`;
const isFinal = (m: StoredMessage): boolean => /^:(white_check_mark|x):/.test(m.text) && m.text.includes('<@');

beforeAll(async () => {
  stack = await startEmbeddedStack({ logger: pino({ level: 'silent' }), perChannelIntervalMs: 20, slackRateLimit: 'count', slackTokenRecheckMs: 200 });
  await stack.workers!.azureml.runDeployPlan(exampleDeploySpec(ENDPOINT, { miniBatchSize: 2 }), { version: 1, steps: {} }, async () => undefined);
  for (let i = 0; i < 3; i++) await stack.azureml.admin.putDatastoreFile(`${ENDPOINT}/in/${i}.png`, Buffer.from(`digit-${i}`));
}, 120_000);

afterAll(async () => {
  await stack?.stop();
});

/** Runs `action` on the stand-in right after the bot's first top-level post in `channel` (the request's parent). */
function onceParentPosted(channel: string, action: () => void): () => void {
  const off = stack.slack.onEvent((e) => {
    if (e.type === 'message_posted' && e.message.channel === channel && e.message.thread_ts === undefined && !e.message.ephemeralTo) {
      off();
      action();
    }
  });
  return off;
}

describe('slash command text as Slack sends it', () => {
  it('takes a run whose input URL has a query string (&, %) and gives Azure exactly the URL that was typed', async () => {
    const url = `https://data.example.com/in/${ENDPOINT}/scores.csv?format=csv&region=eu%2Fwest&page=2`;
    const invokesBefore = stack.azureml.requestLog.length;
    const res = await stack.driver.slash(`run ${ENDPOINT} ${url}`, { user: requester, channel: 'C0MLOPS0001' });
    expect(res.status).toBe(200);
    const invoke = await stack.driver.waitFor(
      () => stack.azureml.requestLog.slice(invokesBefore).find((e) => e.method === 'POST' && /\/jobs\?|batchEndpoints\/[^/]+\/jobs|\/jobs$/.test(e.url) && e.body.includes('InputData')),
      { what: 'the invoke', timeoutMs: 30_000 },
    );
    const body = JSON.parse(invoke.body) as { properties: { InputData: Record<string, { Uri: string }> } };
    expect(Object.values(body.properties.InputData).map((i) => i.Uri)).toEqual([url]);
  });

  it('refuses a SAS URL (sig=) in the acknowledgement, without echoing the secret or calling Azure', async () => {
    const sas = 'https://acct.blob.core.windows.net/c/in.csv?sv=2022-11-02&sp=r&sig=TOPSECRET%2Babc%3D';
    const azureBefore = stack.azureml.requestLog.length;
    const res = await stack.driver.slash(`run ${ENDPOINT} ${sas}`, { user: requester, channel: 'C0MLOPS0001' });
    expect(JSON.stringify(res.body)).toMatch(/secret in its query string/);
    expect(JSON.stringify(res.body)).not.toContain('TOPSECRET');
    expect(stack.azureml.requestLog.slice(azureBefore).filter((e) => /InputData/.test(e.body))).toEqual([]);
  });
});

describe('when Slack stops taking the bot’s posts after the request was taken', () => {
  it('moves the thread of a run whose channel was archived to a DM with the requester, up to the final reply', async () => {
    const channel = 'C0ARCHRUN01';
    stack.slack.addConversation({ id: channel, name: 'archived-mid-run', botIsMember: true });
    onceParentPosted(channel, () => stack.slack.archive(channel));
    const res = await stack.driver.slash(`run ${ENDPOINT} ${INPUT}`, { user: requester, channel });
    expect(JSON.stringify(res.body)).toMatch(/queued|Checking request/);
    const dm = `D${requester}`;
    const final = await stack.driver.waitFor(
      () => {
        const parent = stack.slack.messages(dm).find((m) => m.thread_ts === undefined || m.thread_ts === m.ts);
        return parent && stack.slack.thread(dm, parent.ts).find(isFinal);
      },
      { what: 'the final reply in the requester’s DM', timeoutMs: 45_000 },
    );
    expect(textOf(final)).toMatch(/items scored/);
    const parent = stack.slack.messages(dm)[0]!;
    expect(stack.slack.thread(dm, parent.ts).some((m) => /can no longer post in <#C0ARCHRUN01> \(the channel was archived\)/.test(m.text))).toBe(true);
    // The archived channel was tried once after it was archived, not in a loop.
    expect(stack.slack.callLog.filter((c) => c.args.channel === channel && c.error === 'is_archived').length).toBeLessThanOrEqual(2);
  }, 60_000);

  it('holds a run’s thread while the bot token is revoked, says so on /readyz, and delivers it once the token works again', async () => {
    const channel = 'C0MLOPS0001';
    onceParentPosted(channel, () => stack.slack.revokeToken('token_revoked'));
    const postsBefore = stack.slack.messages(channel).length;
    try {
      await stack.driver.slash(`run ${ENDPOINT} ${INPUT}`, { user: requester, channel });
      const readiness = await stack.driver.waitFor(
        async () => {
          const res = await fetch(`http://127.0.0.1:${stack.bot.port}/readyz`);
          const body = (await res.json()) as { ok: boolean; checks: Record<string, string> };
          return res.status === 503 && /held/.test(body.checks.notifications ?? '') ? body : undefined;
        },
        { what: '/readyz to report the held notifications', timeoutMs: 30_000 },
      );
      expect(readiness?.checks.notifications).toMatch(/Slack refused the bot token \(token_revoked\)/);
      expect(readiness?.checks.slack).toMatch(/token refused: token_revoked/);
    } finally {
      stack.slack.restoreToken();
    }
    const parent = await stack.driver.waitFor(() => stack.slack.messages(channel).slice(postsBefore).find((m) => !m.ephemeralTo && textOf(m).includes(ENDPOINT)), { what: 'the parent' });
    const final = await stack.driver.waitFor(() => stack.slack.thread(channel, parent.ts).find(isFinal), { what: 'the final reply after the token works again', timeoutMs: 45_000 });
    expect(textOf(final)).toMatch(/items scored/);
    const res = await stack.driver.waitFor(async () => ((await fetch(`http://127.0.0.1:${stack.bot.port}/readyz`)).status === 200 ? true : undefined), { what: '/readyz to be ready again', timeoutMs: 40_000 });
    expect(res).toBe(true);
  }, 90_000);

  it('refuses a request in its acknowledgement while Slack says the app is deactivated (account_inactive), and takes it again once restored', async () => {
    const channel = 'C0INACTIVE1';
    stack.slack.addConversation({ id: channel, name: 'inactive-app', botIsMember: true });
    const azureBefore = stack.azureml.requestLog.length;
    const postsBefore = stack.slack.messages(channel).length;
    stack.slack.revokeToken('account_inactive');
    try {
      const res = await stack.driver.slash(`run ${ENDPOINT} ${INPUT}`, { user: requester, channel });
      expect(JSON.stringify(res.body)).toMatch(/Slack no longer accepts my token.*Nothing was started/);
    } finally {
      stack.slack.restoreToken();
    }
    expect(stack.azureml.requestLog.slice(azureBefore).filter((e) => /InputData/.test(e.body))).toEqual([]);
    expect(stack.slack.messages(channel).length).toBe(postsBefore);
    const again = await stack.driver.slash(`run ${ENDPOINT} ${INPUT}`, { user: requester, channel });
    expect(JSON.stringify(again.body)).toMatch(/queued|Checking request/);
  });
});

it('never relies on a response_url to post into a thread: thread messages all go through chat.postMessage', () => {
  // Slack ignores thread_ts on a response_url (the stand-in too): whatever the bot said there stood alone.
  expect(stack.slack.responseUrlPosts().filter((p) => 'thread_ts' in p.body)).toEqual([]);
  const threadReplies = [...new Set(stack.slack.callLog.map((c) => String(c.args.channel ?? '')))]
    .flatMap((channel) => stack.slack.messages(channel).flatMap((m) => stack.slack.thread(channel, m.ts).slice(1)));
  expect(threadReplies.length).toBeGreaterThan(0);
  expect(threadReplies.filter((m) => m.via !== 'web_api')).toEqual([]);
});
