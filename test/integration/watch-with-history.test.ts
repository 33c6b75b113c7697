// Watching costs what is in flight, not what is in history. A real workspace keeps every job it ever ran
// (training runs, sweeps, other endpoints' batch jobs), and Jobs_List pages through all of it. Here the
// sandbox holds 20,000 such past jobs, paged 20 at a time, while the bot watches five scoring runs: every
// snapshot refresh reads no more pages than the watched jobs need (not the 1,000 pages of the history), the
// per-job reads stay per watched job, every run still gets its final reply, and `jobs <endpoint>` reads
// only the head of the list.
import pino from 'pino';
import { createDeployProgress } from '../../src/domain/deploy-plan';
import { runSpecSchema } from '../../src/domain/run-spec';
import { exampleDeploySpec, STACK_CHANNEL, STACK_USERS, startEmbeddedStack, type EmbeddedStack } from '../../dev/embedded-stack';

const ENDPOINT = 'history-watch';
const RUNS = 5;
const HISTORY = 20_000;
const PAGE_SIZE = 20;
let stack: EmbeddedStack;

beforeAll(async () => {
  stack = await startEmbeddedStack({ logger: pino({ level: 'silent' }), perChannelIntervalMs: 20, slackRateLimit: 'count' });
  const spec = exampleDeploySpec(ENDPOINT);
  await stack.workers!.azureml.runDeployPlan(spec, createDeployProgress(spec), async () => undefined);
  for (let i = 0; i < 3; i++) await stack.azureml.admin.putDatastoreFile(`${ENDPOINT}/in/${i}.png`, Buffer.from(`digit-${i}`));
  expect(stack.azureml.admin.seedJobHistory({ count: HISTORY, seed: 17 })).toEqual({ historyJobs: HISTORY });
  stack.azureml.admin.setListPageSize(PAGE_SIZE);
}, 120_000);

afterAll(async () => {
  await stack?.stop();
});

interface ListRead {
  first: boolean;
  at: string;
}

/** The Jobs_List reads the sandbox saw since `from` (index into its request log): first pages start a refresh. */
function jobListReads(from: number): ListRead[] {
  return stack.azureml.requestLog
    .slice(from)
    .filter((e) => e.method === 'GET' && e.route === 'GET workspaces/{workspaceName}/jobs')
    .map((e) => ({ first: !/[?&]\$skip(Token)?=/.test(e.url), at: e.at }));
}

/** Pages read by each refresh: a refresh is a first page and the continuation pages after it. */
function pagesPerRefresh(reads: ListRead[]): number[] {
  const refreshes: number[] = [];
  for (const r of reads) {
    if (r.first || refreshes.length === 0) refreshes.push(1);
    else refreshes[refreshes.length - 1]! += 1;
  }
  return refreshes;
}

it('reads only as many pages per refresh as the watched jobs need, and every run gets its final reply', async () => {
  const logStart = stack.azureml.requestLog.length;
  stack.azureml.admin.resetCounters();
  const spec = runSpecSchema.parse({ endpointName: ENDPOINT, input: { kind: 'UriFolder', uri: `azureml://datastores/workspaceblobstore/paths/${ENDPOINT}/in` } });
  for (let i = 0; i < RUNS; i++) {
    await stack.bot.deps.producers.run({ requestId: `rhistory${String(i).padStart(4, '0')}`, requester: { userId: STACK_USERS.requester, teamId: stack.slack.teamId, channelId: STACK_CHANNEL }, spec });
  }

  const finals = await stack.driver.waitFor(
    () => {
      const replies = stack.slack
        .messages(STACK_CHANNEL)
        .flatMap((m) => stack.slack.thread(STACK_CHANNEL, m.ts).slice(1))
        .filter((r) => r.text.includes(`<@${STACK_USERS.requester}>`) && / (completed|failed|canceled)\b/.test(r.text));
      return replies.length >= RUNS ? replies : undefined;
    },
    { what: `final replies for ${RUNS} runs`, timeoutMs: 60_000 },
  );
  expect(finals).toHaveLength(RUNS);
  expect(finals.every((r) => r.text.includes('completed'))).toBe(true);

  const refreshes = pagesPerRefresh(jobListReads(logStart));
  expect(refreshes.length).toBeGreaterThan(0);
  // At most RUNS jobs watched at once, 20 to a page: 2 + ceil(5 / 20) pages bound every refresh, where
  // listing the whole history would take 1,000 pages (plus the bot's own jobs).
  expect(Math.max(...refreshes)).toBeLessThanOrEqual(2 + Math.ceil(RUNS / PAGE_SIZE));
  // Per-job reads (a job the snapshot did not show) stay per watched job, a few each, never per history job.
  const direct = stack.azureml.admin.requestCount({ method: 'GET', path: new RegExp(`/batchEndpoints/${ENDPOINT}/jobs/[^/]+$`, 'i') });
  const perJobArm = stack.azureml.admin.requestCount({ method: 'GET', path: /\/workspaces\/[^/]+\/jobs\/[^/]+$/i });
  expect(direct + perJobArm).toBeLessThanOrEqual(RUNS * 10);
}, 90_000);

it('lists the jobs of one endpoint from the head of the list, not through the history', async () => {
  stack.azureml.admin.resetCounters();
  const jobs = await stack.workers!.azureml.jobs.listForEndpoint(ENDPOINT);
  expect(jobs.map((j) => j.properties.experimentName)).toEqual(Array(RUNS).fill(ENDPOINT));
  const reads = stack.azureml.admin.counters().byRoute['GET workspaces/{workspaceName}/jobs'] ?? 0;
  expect(reads).toBeGreaterThan(0);
  expect(reads).toBeLessThanOrEqual(10);
});

it("keeps other teams' jobs whose status is newer than the client's api-version", async () => {
  // The seeded history includes `Scheduled` jobs (a JobStatus value added after 2022-05-01): the workspace
  // list is not refused for them, and their status is shown as the service wrote it.
  const jobs = await stack.workers!.azureml.jobs.list({ limit: 2_000, maxPages: 100 });
  expect(jobs.length).toBe(2_000);
  expect(jobs.some((j) => j.properties.status === 'Scheduled')).toBe(true);
});
