// After the job, through Slack on the real stack: a failed job's final reply says what went wrong (the
// first lines of its logs), how many items failed, the fix and where the logs are; a completed job's shows
// what was scored, the first rows of the predictions and a link that downloads them; `status <job>`
// shows the same.
import pino from 'pino';
import { STACK_CHANNEL, STACK_USERS, exampleDeploySpec, startEmbeddedStack, type EmbeddedStack } from '../../dev/embedded-stack';
import type { StoredMessage } from '../../sandbox/slack';

const { requester } = STACK_USERS;
const ENDPOINT = 'mnist-outcome';
const INPUT = `azureml://datastores/workspaceblobstore/paths/${ENDPOINT}/in`;
let stack: EmbeddedStack;

const textOf = (m: StoredMessage): string => `${m.text}\n${JSON.stringify(m.blocks ?? [])}`;
const parents = (): StoredMessage[] => stack.slack.messages(STACK_CHANNEL).filter((m) => !m.ephemeralTo && (m.thread_ts === undefined || m.thread_ts === m.ts));
const replies = (parent: StoredMessage): StoredMessage[] => stack.slack.thread(STACK_CHANNEL, parent.ts).slice(1);

async function request(text: string): Promise<StoredMessage> {
  const before = new Set(parents().map((m) => m.ts));
  expect((await stack.driver.slash(text, { user: requester, channel: STACK_CHANNEL })).status).toBe(200);
  return stack.driver.waitFor(() => parents().find((m) => !before.has(m.ts)), { what: `the request message of "${text}"` });
}

const finalReply = (parent: StoredMessage): Promise<StoredMessage> =>
  stack.driver.waitFor(() => replies(parent).find((r) => /^:(white_check_mark|x):/.test(r.text) && r.text.includes('<@')), { what: 'the final reply', timeoutMs: 30_000 });

const jobNameIn = (m: StoredMessage): string => {
  const name = /job `((?:batchjob-)?[0-9a-f-]{36})`/.exec(textOf(m))?.[1] ?? /Scoring job ((?:batchjob-)?[0-9a-f-]{36})/.exec(textOf(m))?.[1];
  if (!name) throw new Error(`no job name in ${textOf(m).slice(0, 500)}`);
  return name;
};

beforeAll(async () => {
  stack = await startEmbeddedStack({
    logger: pino({ level: 'silent' }),
    perChannelIntervalMs: 20,
    slackRateLimit: 'count',
    // A slower model (60 s a file, 0.12 s at this time scale), so the progress test's job stays Running for
    // seconds, long enough for the watch to see it running and edit its status line.
    azuremlDurations: { perFileMs: 60_000 },
  });
  await stack.workers!.azureml.runDeployPlan(exampleDeploySpec(ENDPOINT, { miniBatchSize: 2, errorThreshold: -1 }), { version: 1, steps: {} }, async () => undefined);
  for (let i = 0; i < 5; i++) await stack.azureml.admin.putDatastoreFile(`${ENDPOINT}/in/${i}.png`, Buffer.from(`digit-${i}`));
}, 120_000);

afterAll(async () => {
  await stack?.stop();
});

it("shows a failed job's first log lines, its failed items, the fix and a link to its logs", async () => {
  stack.azureml.admin.failNextJobs(1, undefined, 'run-error');
  const final = await finalReply(await request(`run ${ENDPOINT} ${INPUT}`));
  const text = textOf(final);
  expect(final.text).toMatch(/^:x:/);
  expect(text).toContain("PIL.UnidentifiedImageError: cannot identify image file 'mnist-outcome/in/0.png'");
  // The summary repeats the exception: said once.
  expect(text.split('cannot identify image file').length - 1).toBe(1);
  expect(text).toMatch(/\*0\* items scored, \*5\* failed/);
  expect(text).toContain("The scoring script's run() raised");
  expect(text).toMatch(/<https:\/\/ml\.azure\.com\/runs\/(?:batchjob-)?[0-9a-f-]{36}\?wsid=[^|]+\|Logs in Azure ML studio>/);

  // `status <job>` answers with the same triage.
  await stack.driver.slash(`status ${jobNameIn(final)}`, { user: requester, channel: STACK_CHANNEL });
  const answer = await stack.driver.waitFor(
    () => stack.slack.ephemerals(STACK_CHANNEL, requester).find((m) => textOf(m).includes('cannot identify image file')),
    { what: 'the status answer with the triage' },
  );
  expect(textOf(answer)).toContain("The scoring script's run() raised");
}, 60_000);

it.each([
  ['init-error', "The scoring script's init() raised"],
  ['no-succeeded-mini-batch', 'No input file got a result from run()'],
  ['input-auth', 'Storage Blob Data Reader'],
  ['no-nodes', 'raise its maximum instance count'],
] as const)('recognises %s and says the fix', async (scenario, fix) => {
  stack.azureml.admin.failNextJobs(1, undefined, scenario);
  const final = await finalReply(await request(`run ${ENDPOINT} ${INPUT}`));
  expect(textOf(final)).toContain(fix);
}, 60_000);

it('shows what a completed job scored, the first rows of its predictions, and a link that downloads them', async () => {
  const final = await finalReply(await request(`run ${ENDPOINT} ${INPUT}`));
  const text = textOf(final);
  expect(final.text).toMatch(/^:white_check_mark:/);
  expect(text).toMatch(/\*5\* items scored, \*0\* failed · 3 of 3 mini-batches/);
  expect(text).toMatch(/```0\.png {2}\d\\n1\.png {2}\d/);
  const url = /<(http[^|>]+)\|Download the predictions>/.exec(text)?.[1]?.replace(/&amp;/g, '&');
  expect(url).toBeDefined();
  const csv = await (await fetch(url!)).text();
  expect(csv.split('\n')[0]).toMatch(/^0\.png,\d$/);

  await stack.driver.slash(`status ${jobNameIn(final)}`, { user: requester, channel: STACK_CHANNEL });
  const answer = await stack.driver.waitFor(
    () => stack.slack.ephemerals(STACK_CHANNEL, requester).find((m) => textOf(m).includes(jobNameIn(final)) && textOf(m).includes('Download the predictions')),
    { what: 'the status answer with the results' },
  );
  expect(textOf(answer)).toContain('First rows of the predictions');
}, 60_000);

it.each([
  ['a token for the wrong audience', 'the Azure ML audience (https://ml.azure.com'],
  ['an output file that already exists', 'Batch scoring never overwrites results'],
] as const)('says the fix when the invoke is refused for %s', async (what, fix) => {
  let command = `run ${ENDPOINT} ${INPUT}`;
  if (what.startsWith('a token')) {
    // What the scoring API answers a token minted for the management audience (ARM's 401 shape).
    stack.azureml.admin.injectFault({
      match: { method: 'POST', path: `/inference/batchEndpoints/${ENDPOINT}/jobs$` },
      count: 5,
      status: 401,
      code: 'InvalidAuthenticationTokenAudience',
      message: "The access token has been obtained for wrong audience or resource 'https://management.azure.com/'. It should exactly match with one of the allowed audiences 'https://ml.azure.com'.",
    });
  } else {
    await stack.azureml.admin.putDatastoreFile(`${ENDPOINT}/out/taken.csv`, 'old');
    command += ` --output azureml://datastores/workspaceblobstore/paths/${ENDPOINT}/out/taken.csv`;
  }
  const final = await finalReply(await request(command));
  stack.azureml.admin.clearFaults();
  expect(final.text).toMatch(/^:x:/);
  expect(textOf(final)).toContain(fix);
}, 60_000);

it("shows a running job's progress on its status line, edited in place", async () => {
  // Enough mini-batches that the job is still Running when the watch looks (seconds, with the slower model above).
  for (let i = 0; i < 120; i++) await stack.azureml.admin.putDatastoreFile(`${ENDPOINT}/many/${i}.png`, Buffer.from(`d${i}`));
  const parent = await request(`run ${ENDPOINT} azureml://datastores/workspaceblobstore/paths/${ENDPOINT}/many --mini-batch-size 1`);
  await finalReply(parent);
  // Some edit of the thread's status line carried the mini-batch count while the job ran.
  // (Only this job's edits: earlier jobs' status lines were edited in the same channel.)
  const progressEdits = stack.slack.callLog.filter((c) => c.method === 'chat.update' && /\d+ of 120 mini-batches/.test(JSON.stringify(c.args)) && /Running/.test(JSON.stringify(c.args)));
  expect(progressEdits.length).toBeGreaterThan(0);
}, 60_000);
