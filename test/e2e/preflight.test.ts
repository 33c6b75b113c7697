// Requests that name something that is not there are refused before an approver is asked or anything is
// queued: the requester hears privately (response_url for slash commands, an ephemeral message for
// forms), in a plain sentence with the next useful command, and no thread is opened. The whole path is
// real: Bolt over HTTP, the pre-flight step on BullMQ/redis, the Azure ML sandbox over HTTP.
import pino from 'pino';
import type { StoredMessage } from '../../sandbox/slack';
import { waitFor } from '../../sandbox/slack/wait-for';
import { exampleDeploySpec, STACK_CHANNEL, STACK_USERS, startEmbeddedStack, type EmbeddedStack } from '../../dev/embedded-stack';
import { EXPIRE_APPROVALS_JOB } from '../../src/queue/ops-worker';
import { PREFLIGHT_JOB } from '../../src/queue/request-preflight';
import { deployFields, openDeployModal } from '../support/user-gestures';
import { createQueueInspector, textOf, type QueueInspector } from '../support/stack-probes';

const { requester, approver } = STACK_USERS;
const ENDPOINT = 'preflight-ep';
let stack: EmbeddedStack;
let queues: QueueInspector;

beforeAll(async () => {
  stack = await startEmbeddedStack({ logger: pino({ level: 'silent' }), perChannelIntervalMs: 20, slackRateLimit: 'count' });
  queues = createQueueInspector(stack.redis.url, stack.config.redis.queuePrefix);
  await stack.workers!.azureml.runDeployPlan(exampleDeploySpec(ENDPOINT), { version: 1, steps: {} }, async () => undefined);
}, 120_000);

afterAll(async () => {
  await queues?.close();
  await stack?.stop();
});

/** Channel messages (thread parents and replies, never ephemerals) that mention `needle`. */
const channelMessages = (needle: string): StoredMessage[] => stack.slack.messages(STACK_CHANNEL).filter((m) => !m.ephemeralTo && textOf(m).includes(needle));

/** Work the bot handed on: deploys, runs, and ops jobs other than the expiry sweep and the checks. */
async function workJobs(): Promise<number> {
  const ops = await queues.queue('ops').getJobs(['waiting', 'delayed', 'active', 'completed', 'failed']);
  return (await queues.total(['deploy', 'run'])) + ops.filter((j) => j.name !== EXPIRE_APPROVALS_JOB && j.name !== PREFLIGHT_JOB).length;
}

async function privateAnswer(pattern: RegExp, user: string = requester): Promise<StoredMessage> {
  return waitFor(() => stack.slack.ephemerals(STACK_CHANNEL, user).find((m) => pattern.test(textOf(m))), { what: `a private answer matching ${pattern}`, timeoutMs: 20_000 });
}

async function expectRefused(text: string, answer: RegExp, next: RegExp, user: string = requester): Promise<StoredMessage> {
  const target = text.split(' ')[1]!;
  const posted = channelMessages(target).length;
  const work = await workJobs();
  const res = await stack.driver.slash(text, { user, channel: STACK_CHANNEL });
  expect(res.status).toBe(200);
  expect(JSON.stringify(res.body)).toContain('Checking request');
  const reply = await privateAnswer(answer, user);
  expect(textOf(reply)).toMatch(next);
  expect(textOf(reply)).toContain('Nothing was asked or started');
  expect(channelMessages(target).length).toBe(posted);
  expect(await workJobs()).toBe(work);
  return reply;
}

describe('a request naming something that is not there is refused at once, privately', () => {
  it('set-default with a deployment the endpoint does not have', async () => {
    const reply = await expectRefused(`set-default ${ENDPOINT} nosuch`, /has no deployment `nosuch`/, new RegExp(`\`show ${ENDPOINT}\``));
    // Azure's own code stays in the details, its raw message does not reach the user.
    expect(textOf(reply)).toMatch(/Azure: `(ResourceNotFound|NotFound)`/);
  });

  it('set-default, run and delete on an endpoint that does not exist', async () => {
    await expectRefused('set-default nosuch-ep blue', /There is no batch endpoint `nosuch-ep`/, /`endpoints`/);
    await expectRefused('run nosuch-ep azureml://datastores/workspaceblobstore/paths/in/', /There is no batch endpoint `nosuch-ep`/, /`endpoints`/);
    await expectRefused('delete nosuch-ep', /nothing to delete/, /`endpoints`/);
  });

  it('cancel of a job that does not exist', async () => {
    // An approver: anyone else may cancel only jobs they started through the bot, and is refused before this check.
    await expectRefused('cancel nosuch-job-123', /There is no job `nosuch-job-123`/, /`jobs &lt;endpoint&gt;`|`jobs <endpoint>`/, approver);
  });

  it('cancel of a job that already finished says so instead of "cancel requested"', async () => {
    await stack.azureml.admin.putDatastoreFile(`${ENDPOINT}/in/0.png`, Buffer.from('digit'));
    await stack.driver.slash(`run ${ENDPOINT} azureml://datastores/workspaceblobstore/paths/${ENDPOINT}/in/`, { user: requester, channel: STACK_CHANNEL });
    const completed = await waitFor(
      async () => (await stack.workers!.azureml.jobs.listForEndpoint(ENDPOINT)).find((j) => j.properties.status === 'Completed'),
      { what: 'a completed job on the endpoint', timeoutMs: 30_000 },
    );
    const jobName = completed.name;
    // Let the run's own thread finish talking first (its final reply names the job too).
    await waitFor(() => channelMessages(jobName).find((m) => /completed/.test(m.text) && /^:white_check_mark:/.test(m.text)), { what: "the run's final reply", timeoutMs: 20_000 });
    await expectRefused(`cancel ${jobName}`, /already finished \(Completed\); there is nothing to cancel/, new RegExp(`\`status ${jobName}\``));
  });

  it('a deploy form naming an "existing" cluster that does not exist, or a scoring script not in the code folder', async () => {
    const posted = channelMessages('preflight-new').length;
    const work = await workJobs();
    const viewId = await openDeployModal(stack);
    const submitted = await stack.driver.fillAndSubmit(
      viewId,
      deployFields('preflight-new', { compute_mode: 'existing', compute_name: 'no-such-cluster', scoring_script: 'missing_score.py' }),
      { user: requester },
    );
    expect(submitted.outcome.kind).toBe('closed');
    const reply = await privateAnswer(/no compute cluster "no-such-cluster"/);
    expect(textOf(reply)).toContain('missing_score.py');
    expect(channelMessages('preflight-new').length).toBe(posted);
    expect(await workJobs()).toBe(work);
    // Nothing was created in Azure either.
    expect(await stack.workers!.azureml.endpoints.find('preflight-new')).toBeUndefined();
  });

  it('a deploy form naming registered model, code and environment versions that do not exist', async () => {
    const posted = channelMessages('preflight-reg').length;
    const work = await workJobs();
    const viewId = await openDeployModal(stack);
    const submitted = await stack.driver.fillAndSubmit(
      viewId,
      deployFields('preflight-reg', { model: 'nosuch-model:3', model_name: '', code: 'nosuch-code:2', code_name: '', image: '', environment_name: '', environment: 'nosuch-env:1' }),
      { user: requester },
    );
    expect(submitted.outcome.kind).toBe('closed');
    const reply = await privateAnswer(/no registered model "nosuch-model" version "3"/);
    // Every problem, one line each (the blocks; the notification text names the first).
    const lines = JSON.stringify(reply.blocks).replace(/\\"/g, '"');
    expect(lines).toMatch(/no registered code asset "nosuch-code" version "2"/);
    expect(lines).toMatch(/no registered environment "nosuch-env" version "1"/);
    expect(channelMessages('preflight-reg').length).toBe(posted);
    expect(await workJobs()).toBe(work);
    expect(await stack.workers!.azureml.endpoints.find('preflight-reg')).toBeUndefined();
  });

  it('a request that names things that exist is taken as before (approval asked)', async () => {
    const res = await stack.driver.slash(`set-default ${ENDPOINT} mnist-torch`, { user: requester, channel: STACK_CHANNEL });
    expect(res.status).toBe(200);
    await privateAnswer(/needs approval/);
    await waitFor(() => channelMessages(ENDPOINT).find((m) => textOf(m).includes('approval-approve')), { what: 'the approval request' });
  });
});
