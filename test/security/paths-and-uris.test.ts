// Local model and code folders named in Slack stay inside the artifacts root: `..`, absolute paths and
// symlinks leading out are refused — by the deploy form where the text alone shows it, by the check before
// approval (src/queue/request-preflight.ts), and by the worker
// (src/azureml/artifacts-root.ts) for everything, including a job put on the queue without the form.
// Scoring inputs and outputs take only https:// and azureml:// references.
import { waitFor } from '../../sandbox/slack/wait-for';
import { mkdir, symlink, writeFile, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import pino from 'pino';
import { exampleDeploySpec, STACK_CHANNEL, STACK_USERS, startEmbeddedStack, type EmbeddedStack } from '../../dev/embedded-stack';
import { waitForQuiet } from '../support/quiet-queues';
import { createQueueInspector, textOf, type QueueInspector } from '../support/stack-probes';
import { deployFields, openDeployModal } from '../support/user-gestures';

let stack: EmbeddedStack;
let queues: QueueInspector;
let outside: string;

beforeAll(async () => {
  stack = await startEmbeddedStack({ logger: pino({ level: 'silent' }), perChannelIntervalMs: 20, slackRateLimit: 'count' });
  queues = createQueueInspector(stack.redis.url, stack.config.redis.queuePrefix);
  // A folder outside the root with a model in it, and a link to it from inside the root.
  outside = await mkdtemp(path.join(tmpdir(), 'bsb-outside-'));
  await writeFile(path.join(outside, 'MLmodel'), 'secret: outside the artifacts root\n');
  await mkdir(path.join(stack.artifactsRoot, 'models'), { recursive: true });
  await symlink(outside, path.join(stack.artifactsRoot, 'models', 'escape'));
}, 60_000);

afterAll(async () => {
  await queues?.close();
  await stack?.stop();
  if (outside) await rm(outside, { recursive: true, force: true });
});

/** Model asset versions the sandbox holds under `name` (an upload registers one). */
const modelVersions = (name: string) => (stack.azureml.admin.resources().modelsVersions ?? []).filter((v) => String(v.id).toLowerCase().includes(`/models/${name}/`));

describe('the deploy form', () => {
  const BAD_PATHS: Array<[string, string, string]> = [
    ['a model path with ..', 'model', '../../etc'],
    ['a model path that climbs out midway', 'model', 'models/../../outside'],
    ['an absolute model path', 'model', '/etc'],
    ['a Windows absolute model path', 'model', 'C:\\Windows\\System32'],
    ['a code path with ..', 'code', '../code'],
    ['an absolute code path', 'code', '/root/.ssh'],
  ];

  it.each(BAD_PATHS)('refuses %s inline and enqueues nothing', async (_what, field, value) => {
    const before = await queues.total(['deploy']);
    const viewId = await openDeployModal(stack);
    const res = await stack.driver.fillAndSubmit(viewId, deployFields('paths-form', { [field]: value }), { user: STACK_USERS.requester });
    expect(res.outcome.kind).toBe('errors');
    const errors = (res.body as { errors?: Record<string, string> }).errors ?? {};
    expect(Object.keys(errors)).toContain(field);
    expect(errors[field]).toMatch(/artifacts|relative|\.\./i);
    expect(await queues.total(['deploy'])).toBe(before);
    stack.slack.closeView(viewId);
  });
});

describe('the deploy check and the deploy worker', () => {
  it('refuses a model folder that is a symlink out of the root privately, before any approval, and uploads nothing', async () => {
    const posted = stack.slack.messages(STACK_CHANNEL).filter((m) => !m.ephemeralTo).length;
    const viewId = await openDeployModal(stack);
    const res = await stack.driver.fillAndSubmit(viewId, deployFields('paths-link', { model: 'models/escape', model_name: 'escaped' }), { user: STACK_USERS.requester });
    expect(res.outcome.kind).toBe('closed');
    const refusal = await waitFor(
      () => stack.slack.ephemerals(STACK_CHANNEL, STACK_USERS.requester).find((m) => /outside the artifacts folder/.test(textOf(m))),
      { what: 'the private refusal' },
    );
    expect(textOf(refusal)).toContain('Nothing was asked or started');
    await waitForQuiet(queues);
    expect(stack.slack.messages(STACK_CHANNEL).filter((m) => !m.ephemeralTo).length).toBe(posted);
    expect(modelVersions('escaped')).toEqual([]);
    expect(stack.azureml.admin.requestCount({ method: 'PUT', path: /\/batchendpoints\/paths-link/ })).toBe(0);
  });

  /** A deploy payload put straight on the queue (what a bug or a hand-made job could enqueue). */
  async function handmadeDeploy(requestId: string, endpointName: string, model: { localPath: string; name: string }) {
    const spec = exampleDeploySpec(endpointName, { model: { kind: 'upload', ...model } });
    const requester = { userId: STACK_USERS.requester, teamId: stack.slack.teamId, channelId: STACK_CHANNEL };
    return queues.queue('deploy').add('deploy', { requestId, requester, spec }, { jobId: `deploy-${requestId}`, attempts: 3 });
  }

  it('refuses a job put straight on the queue whose model path climbs out of the root', async () => {
    const job = await handmadeDeploy('rhandmade0001', 'paths-queue', { localPath: '../../../../etc', name: 'climbed' });
    await waitFor(async () => (await job.isFailed()) || undefined, { what: 'the job to fail', timeoutMs: 30_000 });
    const failed = await queues.queue('deploy').getJob(job.id!);
    expect(failed!.failedReason).toMatch(/leaves the artifacts folder/);
    // Failed for good at the first attempt: retrying cannot make the path acceptable.
    expect(failed!.attemptsMade).toBe(1);
    await waitForQuiet(queues);
    expect(modelVersions('climbed')).toEqual([]);
    expect(stack.azureml.admin.requestCount({ method: 'PUT', path: /\/batchendpoints\/paths-queue\/deployments\// })).toBe(0);
  });

  // The steps that need no upload (compute, endpoint) run concurrently with the uploads, so the worker checks
  // the local paths again before the first step: a refused deploy changes nothing in the workspace.
  it('refuses a symlink out of the root in the worker before creating anything in the workspace', async () => {
    const job = await handmadeDeploy('rhandmade0002', 'paths-first', { localPath: 'models/escape', name: 'escaped2' });
    await waitFor(async () => (await job.isFailed()) || undefined, { what: 'the job to fail', timeoutMs: 30_000 });
    await waitForQuiet(queues);
    expect(stack.azureml.admin.requestCount({ method: 'PUT', path: /\/batchendpoints\/paths-first$/ })).toBe(0);
    expect(modelVersions('escaped2')).toEqual([]);
  });
});

describe('scoring input and output references', () => {
  const BAD_URIS: Array<[string, string]> = [
    ['a local file', 'run some-endpoint file:///etc/passwd'],
    ['ftp', 'run some-endpoint ftp://example.com/data/'],
    ['plain http', 'run some-endpoint http://example.com/data/'],
    ['another cloud', 'run some-endpoint s3://bucket/data/'],
    ['a javascript: URI', 'run some-endpoint javascript:alert(1)'],
    ['a bare path', 'run some-endpoint /mnt/data'],
    ['a local output file', 'run some-endpoint https://example.com/data/ --output file:///tmp/predictions.csv'],
    ['an http output', 'run some-endpoint https://example.com/data/ --output http://example.com/out.csv'],
  ];

  it.each(BAD_URIS)('refuses %s in the slash command and enqueues nothing', async (_what, text) => {
    const before = await queues.total(['run']);
    const res = await stack.driver.slash(text, { user: STACK_USERS.requester, channel: STACK_CHANNEL });
    expect(res.status).toBe(200);
    expect(JSON.stringify(res.body)).toMatch(/https|azureml/);
    expect(JSON.stringify(res.body)).not.toMatch(/queued|Checking request/);
    expect(await queues.total(['run'])).toBe(before);
  });

  it('refuses bad input and output URIs inline in the run form and enqueues nothing', async () => {
    const before = new Set(stack.slack.views().map((v) => v.id));
    await stack.driver.slash('run', { user: STACK_USERS.requester, channel: STACK_CHANNEL });
    const view = await waitFor(() => stack.slack.views().find((v) => !before.has(v.id) && v.open), { what: 'the run modal' });
    const runsBefore = await queues.total(['run']);
    const res = await stack.driver.fillAndSubmit(view.id, { endpoint: 'paths-link', input_uri: 'file:///etc/passwd', output_uri: 'ftp://example.com/out.csv' }, { user: STACK_USERS.requester });
    expect(res.outcome.kind).toBe('errors');
    const errors = (res.body as { errors?: Record<string, string> }).errors ?? {};
    expect(Object.keys(errors)).toEqual(expect.arrayContaining(['input_uri', 'output_uri']));
    expect(await queues.total(['run'])).toBe(runsBefore);
  });
});
