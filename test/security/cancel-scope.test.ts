// Cancel (and status/jobs) reach only batch scoring jobs of this workspace's batch endpoints, and only
// the run's requester and the approvers (BATCH_SCORE_CANCELERS) may cancel (issue 12, item 4). Through
// the real Bolt receiver, BullMQ on redis and the Azure ML sandbox over HTTP.
import pino from 'pino';
import { waitFor } from '../../sandbox/slack/wait-for';
import { batchEndpointOfJob } from '../../src/azureml/batch-scoring-job';
import { STACK_CHANNEL, STACK_USERS, startEmbeddedStack, type EmbeddedStack } from '../../dev/embedded-stack';
import { EXPIRE_APPROVALS_JOB } from '../../src/queue/ops-worker';
import { createQueueInspector, createThreadReader, JOB_MESSAGE, type QueueInspector, type ThreadReader } from '../support/stack-probes';
import { deployApproved } from '../support/user-gestures';

const { requester: alice, bystander: bob, approver: carol } = STACK_USERS;
let stack: EmbeddedStack;
let queues: QueueInspector;
let threads: ThreadReader;

beforeAll(async () => {
  stack = await startEmbeddedStack({ logger: pino({ level: 'silent' }), perChannelIntervalMs: 20, slackRateLimit: 'count' });
  queues = createQueueInspector(stack.redis.url, stack.config.redis.queuePrefix);
  threads = createThreadReader(stack.slack, STACK_CHANNEL);
}, 60_000);

afterAll(async () => {
  await queues?.close();
  await stack?.stop();
});

const opsWork = async () => (await queues.queue('ops').getJobs(['waiting', 'delayed', 'active', 'completed', 'failed'])).filter((j) => j.name !== EXPIRE_APPROVALS_JOB).length;

describe('who may cancel whose job', () => {
  it("refuses another runner's cancel of Alice's run, and lets an approver cancel it", async () => {
    const deploy = await deployApproved(stack, 'cancel-ep');
    await waitFor(() => threads.finalReplies(deploy)[0], { what: 'the deploy', timeoutMs: 60_000 });
    await stack.azureml.admin.putDatastoreFile('cancel-ep/in/a.txt', Buffer.from('1'));
    await stack.driver.slash('run cancel-ep azureml://datastores/workspaceblobstore/paths/cancel-ep/in/', { user: alice, channel: STACK_CHANNEL });
    const run = await waitFor(() => threads.parentWith(/Run.*cancel-ep/), { what: "Alice's run" });
    const started = await waitFor(() => threads.replies(run).find((r) => JOB_MESSAGE.test(r.text)), { what: 'the job to start', timeoutMs: 30_000 });
    const jobName = /`([^`]+)`/.exec(started.text)![1]!;

    const before = await opsWork();
    const refused = await stack.driver.slash(`cancel ${jobName}`, { user: bob, channel: STACK_CHANNEL });
    expect(JSON.stringify(refused.body)).toMatch(/Only the person who started it or an approver may cancel this job/);
    expect(await opsWork()).toBe(before);

    const allowed = await stack.driver.slash(`cancel ${jobName}`, { user: carol, channel: STACK_CHANNEL });
    expect(JSON.stringify(allowed.body)).not.toMatch(/no_entry/);
  });
});

describe('the worker checks again', () => {
  it('refuses a cancel enqueued straight onto the ops queue for a user who may not cancel, and the job goes on', async () => {
    // Not through the bot: a replayed payload, or one another path enqueued, must not cancel either.
    const deploy = await deployApproved(stack, 'cancel-direct');
    await waitFor(() => threads.finalReplies(deploy)[0], { what: 'the deploy', timeoutMs: 60_000 });
    await stack.azureml.admin.putDatastoreFile('cancel-direct/in/a.txt', Buffer.from('1'));
    await stack.driver.slash('run cancel-direct azureml://datastores/workspaceblobstore/paths/cancel-direct/in/', { user: alice, channel: STACK_CHANNEL });
    const run = await waitFor(() => threads.parentWith(/Run.*cancel-direct/), { what: "Alice's run" });
    const started = await waitFor(() => threads.replies(run).find((r) => JOB_MESSAGE.test(r.text)), { what: 'the job to start', timeoutMs: 30_000 });
    const jobName = /`([^`]+)`/.exec(started.text)![1]!;

    const requestId = 'replayed-cancel-1';
    await queues.queue('ops').add(
      'ops',
      { requestId, requester: { userId: bob, teamId: stack.slack.teamId, channelId: STACK_CHANNEL }, command: { verb: 'cancel', jobName } },
      { jobId: `ops-${requestId}` },
    );
    const refusal = await waitFor(
      () => stack.slack.messages(STACK_CHANNEL).find((m) => m.text.includes('Nothing was canceled') && m.text.includes(jobName)),
      { what: 'the refusal', timeoutMs: 20_000 },
    );
    expect(refusal.text).toMatch(/Only the person who started it or an approver may cancel this job/);
    const job = await stack.workers!.azureml.jobs.get(jobName);
    expect(['CancelRequested', 'Canceled']).not.toContain(job.properties.status);
    const events = (await stack.bot.deps.intake.audit.list({ count: 1000 })).filter((e) => e.requestId === requestId);
    expect(events.map((e) => e.type)).toContain('denied');
    expect(events.map((e) => e.type)).not.toContain('started');
  }, 120_000);
});

describe('which jobs the bot touches', () => {
  // As Azure shows a batch scoring job through ARM (test_batch_job_download.json): a Pipeline job whose
  // experimentName is the endpoint, tagged azureml.batchrun.
  const job = (jobType: string, experimentName: string, tags: Record<string, string> = {}) => ({ properties: { jobType, experimentName, tags } });
  const batchRun = { 'azureml.batchrun': 'true', 'azureml.deploymentname': 'blue' };
  it('recognises a batch scoring job by its shape and nothing else', () => {
    expect(batchEndpointOfJob(job('Pipeline', 'cancel-ep', batchRun))).toBe('cancel-ep');
    expect(batchEndpointOfJob(job('Command', 'train-experiment'))).toBeUndefined();
    expect(batchEndpointOfJob(job('Sweep', 'cancel-ep', batchRun))).toBeUndefined();
    expect(batchEndpointOfJob(job('Pipeline', 'cancel-ep', { 'azureml.batchrun': 'false' }))).toBeUndefined();
    expect(batchEndpointOfJob(job('Pipeline', 'training-pipeline'))).toBeUndefined();
  });

  it.each([
    ['a command (training) job', 'command' as const, 'train-churn'],
    ['a sweep job', 'sweep' as const, 'hyperdrive-lr'],
    ['a training pipeline', 'training-pipeline' as const, 'nightly-retrain'],
  ])('will not cancel or show %s, even for an approver, and says so', async (_what, kind, experimentName) => {
    const jobName = `not-scoring-${kind}`;
    stack.azureml.admin.addPastJob({ name: jobName, kind, experimentName, status: 'Running' });
    const since = stack.azureml.requestLog.length;
    const postsBefore = stack.slack.responseUrlPosts().length;
    const notScoring = /NotABatchScoringJob[\s\S]*is not a batch scoring job of this workspace's batch endpoints/;

    await stack.driver.slash(`status ${jobName}`, { user: carol, channel: STACK_CHANNEL });
    const status = await waitFor(
      () => stack.slack.responseUrlPosts().slice(postsBefore).find((p) => p.user === carol && JSON.stringify(p.body).includes('NotABatchScoringJob')),
      { what: 'the answer to status', timeoutMs: 20_000 },
    );
    expect(JSON.stringify(status.body)).toContain(jobName);

    await stack.driver.slash(`cancel ${jobName}`, { user: carol, channel: STACK_CHANNEL });
    const parent = await waitFor(() => threads.parentWith(new RegExp(`Cancel.*${jobName}`)), { what: 'the cancel request' });
    const answer = await waitFor(() => threads.replies(parent).find((r) => notScoring.test(JSON.stringify(r))), { what: 'the refusal in its thread', timeoutMs: 20_000 });
    expect(answer.text).toMatch(/<@U0CAROL001>/);

    expect(stack.azureml.requestLog.slice(since).filter((e) => e.method === 'POST' && e.url.includes(`/jobs/${jobName}/cancel`))).toEqual([]);
    const job = await stack.workers!.azureml.jobs.get(jobName);
    expect(job.properties.status).toBe('Running');
  });

  it('lists none of them among the jobs of the workspace, only batch scoring jobs', async () => {
    stack.azureml.admin.addPastJob({ name: 'other-endpoint-scoring', kind: 'batch-scoring', experimentName: 'cancel-ep', status: 'Completed', deploymentName: 'blue' });
    const postsBefore = stack.slack.responseUrlPosts().length;
    await stack.driver.slash('jobs', { user: carol, channel: STACK_CHANNEL });
    const listing = await waitFor(
      () => stack.slack.responseUrlPosts().slice(postsBefore).find((p) => p.user === carol && JSON.stringify(p.body).includes('other-endpoint-scoring')),
      { what: 'the job list', timeoutMs: 20_000 },
    );
    expect(JSON.stringify(listing.body)).not.toMatch(/not-scoring-/);
  });
});
