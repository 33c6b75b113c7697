// Every input form of the recipe, explicit outputs, failures, look-ups and the approval-gated changes,
// through Slack on the real stack.
import pino from 'pino';
import { STACK_CHANNEL, STACK_USERS, startEmbeddedStack, type EmbeddedStack } from '../../dev/embedded-stack';
import type { StoredMessage } from '../../sandbox/slack';
import { isTopLevel, JOB_MESSAGE } from '../support/stack-probes';

const { requester, approver } = STACK_USERS;
const ENDPOINT = 'mnist-cmds';
let stack: EmbeddedStack;

const textOf = (m: StoredMessage): string => `${m.text}\n${JSON.stringify(m.blocks ?? [])}`;
const parents = (): StoredMessage[] => stack.slack.messages(STACK_CHANNEL).filter((m) => !m.ephemeralTo && !m.thread_ts?.startsWith('x'));
const replies = (parent: StoredMessage): StoredMessage[] => stack.slack.thread(STACK_CHANNEL, parent.ts).slice(1);

/** Sends a slash command and returns the parent message of the request it created. */
async function request(text: string, user: string = requester): Promise<StoredMessage> {
  const before = new Set(parents().map((m) => m.ts));
  const res = await stack.driver.slash(text, { user, channel: STACK_CHANNEL });
  expect(res.status).toBe(200);
  return stack.driver.waitFor(() => parents().find((m) => !before.has(m.ts) && m.thread_ts === undefined || (!before.has(m.ts) && m.thread_ts === m.ts)), {
    what: `the request message of "${text}"`,
  });
}

async function finalReply(parent: StoredMessage, timeoutMs = 30_000): Promise<StoredMessage> {
  // A canceled job's reply starts with :no_entry_sign:, one with failed items with :warning:.
  return stack.driver.waitFor(() => replies(parent).find((r) => /^:(white_check_mark|x|no_entry_sign|warning):/.test(r.text) && r.text.includes("<@")), { what: 'the final reply', timeoutMs });
}

async function approve(parent: StoredMessage): Promise<void> {
  await stack.driver.clickButton({ channel: STACK_CHANNEL, ts: parent.ts }, 'approval-approve', { user: approver });
}

/** An ephemeral answer (response_url) to the requester containing `needle`. */
async function privateAnswer(needle: string): Promise<StoredMessage> {
  return stack.driver.waitFor(() => stack.slack.ephemerals(STACK_CHANNEL, requester).find((m) => textOf(m).includes(needle)), { what: `an answer with ${needle}` });
}

beforeAll(async () => {
  stack = await startEmbeddedStack({ logger: pino({ level: 'silent' }), perChannelIntervalMs: 20, slackRateLimit: 'count' });
  // A deployment to score with, deployed the way the CLI and the workers do it (the modal is covered elsewhere).
  await stack.workers!.azureml.runDeployPlan(
    {
      endpointName: ENDPOINT,
      deploymentName: 'blue',
      model: { kind: 'upload', localPath: 'models/mnist', name: 'mnist' },
      code: { kind: 'upload', localPath: 'code/mnist', name: 'score-mnist' },
      scoringScript: 'digit_identification.py',
      environment: { kind: 'image', name: 'mnist-env', image: 'mcr.microsoft.com/azureml/openmpi3.1.2-ubuntu18.04:latest' },
      compute: { kind: 'create', name: 'batch-cluster', vmSize: 'STANDARD_D2_V2', minNodeCount: 0, maxNodeCount: 2 },
      instanceCount: 1,
      maxConcurrencyPerInstance: 4,
      miniBatchSize: 5,
      retrySettings: { maxRetries: 3, timeout: 'PT30S' },
      errorThreshold: 10,
      loggingLevel: 'Info',
      makeDefault: true,
    },
    { version: 1, steps: {} },
    async () => undefined,
  );
  for (let i = 0; i < 6; i++) {
    await stack.azureml.admin.putDatastoreFile(`${ENDPOINT}/mnist/${i}.png`, Buffer.from(`digit-${i}`));
    await stack.azureml.admin.putPublicFile(`sampledata/mnist/${i}.png`, Buffer.from(`public-${i}`));
  }
}, 120_000);

afterAll(async () => {
  await stack?.stop();
});

describe('run, with every input form of the recipe', () => {
  const forms: Array<[string, () => string, string]> = [
    ['a public https folder', () => `${stack.azureml.publicBaseUrl}/sampledata/mnist`, ''],
    ['a public https file', () => `${stack.azureml.publicBaseUrl}/sampledata/mnist/3.png`, '--file'],
    ['a datastore folder (short form)', () => `azureml://datastores/workspaceblobstore/paths/${ENDPOINT}/mnist`, ''],
    [
      'a datastore folder (long form)',
      () =>
        `azureml://subscriptions/${stack.azureml.subscriptionId}/resourceGroups/${stack.azureml.resourceGroup}/workspaces/${stack.azureml.workspace}/datastores/workspaceblobstore/paths/${ENDPOINT}/mnist`,
      '',
    ],
  ];
  it.each(forms)('scores %s and replies with the output location it asked for', async (name, uri, flag) => {
    const output = `azureml://datastores/workspaceblobstore/paths/${ENDPOINT}/out/${name.replace(/\W+/g, '-')}.csv`;
    const parent = await request(`run ${ENDPOINT} ${uri()} ${flag} --output ${output}`.replace(/\s+/g, ' '));
    const final = await finalReply(parent);
    expect(final.text).toContain('completed');
    expect(textOf(final)).toContain(output);
  });

  it('names no output location the service did not give, and links the job in the studio', async () => {
    const parent = await request(`run ${ENDPOINT} azureml://datastores/workspaceblobstore/paths/${ENDPOINT}/mnist`);
    const final = await finalReply(parent);
    expect(final.text).toContain('completed');
    // Azure confirms no output for a request that names none ({datastoreId: null, path: null}, recorded).
    expect(textOf(final)).toContain('not reported by the service');
    expect(textOf(final)).not.toContain('azureml://datastores/workspaceblobstore/paths/azureml/');
    expect(textOf(final)).toMatch(/https:\/\/ml\.azure\.com\/runs\//);
  });

  it('scores a registered data asset, by asset id and by ARM id', async () => {
    const registered = await request(`data register mnist-data azureml://datastores/workspaceblobstore/paths/${ENDPOINT}/mnist --version 1`);
    expect((await finalReply(registered)).text).toContain('registered');
    const { location, workspace, subscriptionId, resourceGroup } = stack.azureml;
    for (const uri of [
      `azureml://locations/${location}/workspaces/${workspace}/data/mnist-data/versions/1`,
      `/subscriptions/${subscriptionId}/resourceGroups/${resourceGroup}/providers/Microsoft.MachineLearningServices/workspaces/${workspace}/data/mnist-data/versions/1`,
    ]) {
      const parent = await request(`run ${ENDPOINT} ${uri}`);
      expect((await finalReply(parent)).text).toContain('completed');
    }
  });
});

it('writes to an explicit output file, and refuses one that already exists before invoking', async () => {
  const output = `azureml://datastores/workspaceblobstore/paths/${ENDPOINT}/out/predictions-1.csv`;
  const first = await request(`run ${ENDPOINT} azureml://datastores/workspaceblobstore/paths/${ENDPOINT}/mnist --output ${output}`);
  const done = await finalReply(first);
  expect(textOf(done)).toContain('predictions-1.csv');
  const csv = await stack.azureml.admin.readDatastoreFile(`${ENDPOINT}/out/predictions-1.csv`);
  expect(csv?.toString().trim().split('\n')).toHaveLength(6);

  const posts = stack.azureml.admin.requestCount({ method: 'POST', path: new RegExp(`/batchEndpoints/${ENDPOINT}/jobs$`, 'i') });
  const again = await request(`run ${ENDPOINT} azureml://datastores/workspaceblobstore/paths/${ENDPOINT}/mnist --output ${output}`);
  const refused = await finalReply(again);
  expect(refused.text).toMatch(/^:x:/);
  expect(textOf(refused)).toContain('OutputAlreadyExists');
  expect(stack.azureml.admin.requestCount({ method: 'POST', path: new RegExp(`/batchEndpoints/${ENDPOINT}/jobs$`, 'i') })).toBe(posts);
});

it("runs a job with its own settings from the slash command, honoured by the service", async () => {
  const parent = await request(`run ${ENDPOINT} azureml://datastores/workspaceblobstore/paths/${ENDPOINT}/mnist --mini-batch-size 2 --output-file-name digits.csv`);
  const final = await finalReply(parent);
  expect(final.text).toContain('completed');
  const jobName = /job `([^`]+)`/.exec(final.text)?.[1];
  expect(jobName).toBeDefined();
  const csv = await stack.azureml.admin.readDatastoreFile(`azureml/${jobName}/score/digits.csv`);
  expect(csv?.toString().trim().split('\n')).toHaveLength(6);
  const job = await stack.workers!.azureml.jobs.get(jobName!);
  // Six files in mini-batches of two (the deployment's own size is five).
  expect(job.properties.properties?.['azureml.miniBatchesTotal']).toBe('3');
});

it('refuses bad run settings privately, with the flag named, before anything is queued', async () => {
  const before = parents().length;
  const res = await stack.driver.slash(`run ${ENDPOINT} azureml://datastores/workspaceblobstore/paths/${ENDPOINT}/mnist --instance-count 0`, { user: requester, channel: STACK_CHANNEL });
  expect(res.status).toBe(200);
  expect(JSON.stringify(res.body)).toContain('--instance-count');
  expect(parents()).toHaveLength(before);
});

it("reports a failing job with how it ended and the job's studio page, and an ARM error with its code", async () => {
  await stack.azureml.admin.putDatastoreFile(`${ENDPOINT}/corrupt/0.png`, Buffer.from('CORRUPT 0'));
  stack.azureml.admin.failNextJobs(1, 'the scoring script raised ValueError');
  const failing = await request(`run ${ENDPOINT} azureml://datastores/workspaceblobstore/paths/${ENDPOINT}/corrupt/0.png --file`);
  const failed = await finalReply(failing);
  expect(failed.text).toMatch(/^:x:/);
  // Azure's job documents carry no reason (recorded): the reply says how it ended and where to read why.
  expect(textOf(failed)).toContain('the job ended Failed');
  expect(textOf(failed)).toMatch(/https:\/\/ml\.azure\.com\/runs\//);
  expect(textOf(failed)).toContain(`<@${requester}>`);

  // An endpoint that does not exist is refused before anything is queued (test/e2e/preflight.test.ts).
  await stack.driver.slash('run no-such-endpoint azureml://datastores/workspaceblobstore/paths/x', { user: requester, channel: STACK_CHANNEL });
  const notFound = await privateAnswer('There is no batch endpoint `no-such-endpoint`');
  expect(textOf(notFound)).toMatch(/NotFound/);
});

it('answers look-ups privately: endpoints, show, jobs, status', async () => {
  await stack.driver.slash('endpoints', { user: requester, channel: STACK_CHANNEL });
  await privateAnswer(ENDPOINT);
  await stack.driver.slash(`show ${ENDPOINT}`, { user: requester, channel: STACK_CHANNEL });
  await privateAnswer('blue');
  await stack.driver.slash(`jobs ${ENDPOINT}`, { user: requester, channel: STACK_CHANNEL });
  const jobs = await privateAnswer('Completed');
  const jobName = /`([0-9a-z-]{8,})`/.exec(textOf(jobs))?.[1];
  expect(jobName).toBeDefined();
  await stack.driver.slash(`status ${jobName}`, { user: requester, channel: STACK_CHANNEL });
  await privateAnswer(`Job \`${jobName}\``);
});

it('cancels a running job', async () => {
  await stack.azureml.admin.putDatastoreFile(`${ENDPOINT}/big/list.txt`, Buffer.from('x'));
  const run = await request(`run ${ENDPOINT} azureml://datastores/workspaceblobstore/paths/${ENDPOINT}/mnist`);
  const started = await stack.driver.waitFor(() => replies(run).find((r) => JOB_MESSAGE.test(r.text)), { what: 'job started' });
  const jobName = /`([^`]+)`/.exec(started.text)![1]!;
  // The job may finish before the cancel is checked: then the requester is told so, privately.
  const before = new Set(parents().map((m) => m.ts));
  await stack.driver.slash(`cancel ${jobName}`, { user: requester, channel: STACK_CHANNEL });
  // The cancel reports in the job's own thread (issue 13), never in a new top-level message.
  const outcome = await stack.driver.waitFor(
    () =>
      replies(run).find((r) => r.text.includes(`Cancel requested for job ${jobName}`) || /`cancel` failed/.test(r.text)) ??
      stack.slack.ephemerals(STACK_CHANNEL, requester).find((m) => textOf(m).includes(`Job \`${jobName}\` already finished`)),
    { what: 'the cancel confirmation or its refusal' },
  );
  expect(textOf(outcome)).toMatch(/cancel|already finished/i);
  expect(parents().filter((m) => !before.has(m.ts) && isTopLevel(m) && textOf(m).includes(jobName))).toEqual([]);
  // The job may have finished before the cancel reached it; either way it reports exactly once (the
  // cancel's own failure, "`cancel` failed", shares the thread but is not the job's last word).
  const jobsOwn = () => replies(run).filter((r) => /^:(white_check_mark|x|no_entry_sign):/.test(r.text) && r.text.includes('<@') && !r.text.includes('`cancel`'));
  await stack.driver.waitFor(() => jobsOwn()[0], { what: "the job's final reply" });
  expect(jobsOwn()).toHaveLength(1);
});

it('sets the default deployment and deletes the endpoint, each after approval', async () => {
  const setDefault = await request(`set-default ${ENDPOINT} blue`);
  expect(textOf(setDefault)).toContain('approval-approve');
  await approve(setDefault);
  expect((await finalReply(setDefault)).text).toContain('default deployment');

  const del = await request(`delete ${ENDPOINT}`);
  await approve(del);
  expect((await finalReply(del)).text).toContain('deleted');
  expect(stack.azureml.admin.resources().batchEndpoints).toEqual([]);
  expect(stack.azureml.admin.resources().batchDeployments).toEqual([]);
});
