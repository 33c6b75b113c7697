// The demo's script: the batch-scoring recipe played through Slack the way people would, against the
// embedded stack. alice asks for help, deploys a model through the modal (model and code folders from
// the artifacts root, an image + conda file environment, a new compute cluster), carol approves; alice
// uploads MNIST-like images to the workspace's datastore, runs a scoring job on them and follows it in
// the thread, lists jobs, asks for the job's status, deletes the endpoint (carol approves again) and
// lists what is left. Every step waits for what a person would wait for (a message, a reply) with a
// deadline, and fails with a DemoStepError naming the step. No printing here: the observer does that.
import { randomBytes } from 'node:crypto';
import type { StoredMessage } from '../../sandbox/slack';
import { exampleDeployForm, STACK_CHANNEL, STACK_USERS, type EmbeddedStack } from '../embedded-stack';
import { mnistLikeFiles } from './mnist-like-images';

/** The demo's sandbox time scale: one realistic minute of Azure takes 1.8 s, a deploy about 10 s. */
export const DEMO_TIME_SCALE = 0.03;

export const DEMO_STEPS = ['help', 'deploy', 'approve-deploy', 'upload', 'run', 'jobs', 'status', 'triage', 'delete', 'endpoints'] as const;
export type DemoStepName = (typeof DEMO_STEPS)[number];

export class DemoStepError extends Error {
  override readonly name = 'DemoStepError';
  readonly code = 'DemoStepFailed';
  constructor(
    readonly step: DemoStepName,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(`step "${step}" failed: ${message}`, options);
  }
}

/** What the demo narrates: step titles and the people's own actions (the bot's words come from Slack). */
export interface DemoObserver {
  note(text: string): void;
  /** A fact under the current step (what the job wrote), not something said in Slack. */
  detail(text: string): void;
  /** `on`: the message a click was on. */
  action(userId: string, text: string, on?: { channel: string; ts: string }): void;
}

export interface DemoStepTiming {
  step: DemoStepName;
  durationMs: number;
}

export interface DemoResult {
  endpointName: string;
  deploymentName: string;
  jobName: string;
  inputUri: string;
  outputUri: string;
  filesScored: number;
  /** First lines of the job's predictions file. */
  predictions: string[];
  /** The completed job's reply showed the first rows of its predictions and a download link. */
  previewShown: boolean;
  /** The failing job's reply: its first log line and the fix it gave. */
  triage: { jobName: string; firstLogLine: string; fix: string };
  steps: DemoStepTiming[];
  totalMs: number;
}

export interface DemoOptions {
  observer?: DemoObserver;
  /** Default: mnist-<random>, as the recipe adds a random suffix (endpoint names are unique per region). */
  endpointName?: string;
  inputFiles?: number;
  /** Deadline of each step that waits on Azure ML (deploy, run, delete). */
  stepTimeoutMs?: number;
  command?: string;
}

const SILENT: DemoObserver = { note: () => undefined, detail: () => undefined, action: () => undefined };

export async function runDemoScenario(stack: EmbeddedStack, opts: DemoOptions = {}): Promise<DemoResult> {
  const { driver, slack, azureml } = stack;
  const { requester, approver } = STACK_USERS;
  const channel = STACK_CHANNEL;
  const command = opts.command ?? '/batch-score';
  const observer = opts.observer ?? SILENT;
  const stepTimeoutMs = opts.stepTimeoutMs ?? 90_000;
  const endpointName = opts.endpointName ?? `mnist-${randomBytes(3).toString('hex')}`;
  const deploymentName = 'mnist-torch';
  const inputFolder = `${endpointName}/mnist`;
  const inputUri = `azureml://datastores/workspaceblobstore/paths/${inputFolder}`;
  const files = mnistLikeFiles(opts.inputFiles ?? 10);
  const steps: DemoStepTiming[] = [];
  const started = Date.now();

  const wait = <T>(step: DemoStepName, what: string, probe: () => T | undefined | false | null, timeoutMs = 20_000): Promise<T> =>
    driver.waitFor(probe, { timeoutMs, what }).catch((err: unknown) => {
      throw new DemoStepError(step, `no ${what} within ${Math.round(timeoutMs / 1000)} s`, { cause: err });
    });
  const step = async <T>(name: DemoStepName, title: string, body: () => Promise<T>): Promise<T> => {
    observer.note(title);
    const t0 = Date.now();
    try {
      return await body();
    } catch (err) {
      if (err instanceof DemoStepError) throw err;
      throw new DemoStepError(name, err instanceof Error ? err.message : String(err), { cause: err });
    } finally {
      steps.push({ step: name, durationMs: Date.now() - t0 });
    }
  };

  const channelMessages = (): StoredMessage[] => slack.messages(channel);
  const isTopLevel = (m: StoredMessage): boolean => !m.ephemeralTo && (m.thread_ts === undefined || m.thread_ts === m.ts);
  const seen = (): Set<string> => new Set(channelMessages().map((m) => m.ts));
  const newRequestMessage = (before: Set<string>) => (): StoredMessage | undefined => channelMessages().find((m) => isTopLevel(m) && !before.has(m.ts));
  const replies = (parent: StoredMessage): StoredMessage[] => slack.thread(channel, parent.ts).slice(1);
  /** The reply that ends a request: it mentions the requester and starts with ✅ or ❌. */
  const finalReply = (parent: StoredMessage) => (): StoredMessage | undefined =>
    replies(parent).find((r) => /^:(white_check_mark|x):/.test(r.text) && r.text.includes(`<@${requester}>`));
  const privateAnswers = (): StoredMessage[] => slack.ephemerals(channel, requester);
  const newPrivateAnswer = (count: number, test: (m: StoredMessage) => boolean) => (): StoredMessage | undefined =>
    privateAnswers().slice(count).find(test);
  const contentOf = (m: StoredMessage): string => `${m.text}\n${JSON.stringify(m.blocks ?? [])}`;
  const succeeded = (step: DemoStepName, reply: StoredMessage): StoredMessage => {
    if (reply.text.startsWith(':x:')) throw new DemoStepError(step, `the bot reported a failure: ${reply.text}`);
    return reply;
  };

  const slash = async (user: string, text: string): Promise<void> => {
    observer.action(user, `${command} ${text}`);
    const res = await driver.slash(text, { user, channel, command });
    if (res.status !== 200) throw new Error(`the bot answered HTTP ${res.status} to "${command} ${text}"`);
  };
  const approve = async (s: DemoStepName, parent: StoredMessage): Promise<void> => {
    await wait(s, 'approval buttons', () => contentOf(slack.message(channel, parent.ts) ?? parent).includes('approval-approve'));
    observer.action(approver, 'clicks [Approve]', parent);
    const res = await driver.clickButton({ channel, ts: parent.ts }, 'approval-approve', { user: approver });
    if (res.status !== 200) throw new Error(`the bot answered HTTP ${res.status} to the approval`);
  };

  await step('help', 'alice asks the bot what it can do', async () => {
    const count = privateAnswers().length;
    await slash(requester, 'help');
    await wait('help', 'help answer', newPrivateAnswer(count, (m) => contentOf(m).includes('deploy')));
  });

  const deployRequest = await step('deploy', 'alice deploys the MNIST model through the deploy modal', async () => {
    const viewsBefore = new Set(slack.views().map((v) => v.id));
    await slash(requester, 'deploy');
    const view = await wait('deploy', 'deploy modal', () => slack.views().find((v) => !viewsBefore.has(v.id) && v.open));
    const fields = exampleDeployForm(endpointName, {
      deployment: deploymentName,
      description: 'MNIST digit classifier (demo)',
      image: 'mcr.microsoft.com/azureml/openmpi4.1.0-ubuntu20.04:latest',
      conda_file: 'name: mnist-env\nchannels: [conda-forge]\ndependencies:\n  - python=3.8\n  - pip\n  - pip: [torch, pillow]\n',
    });
    observer.action(requester, `fills in the modal (${Object.entries(fields).filter(([k]) => k !== 'conda_file').map(([k, v]) => `${k}=${v}`).join(', ')}, conda_file=…) and clicks [Deploy]`);
    const before = seen();
    const submitted = await driver.fillAndSubmit(view.id, fields, { user: requester });
    if (submitted.outcome.kind !== 'closed') throw new Error(`the modal did not close: ${JSON.stringify(submitted.outcome)}`);
    return wait('deploy', 'approval request in the channel', newRequestMessage(before));
  });

  await step('approve-deploy', 'carol (an approver) approves; the workers deploy it', async () => {
    await approve('approve-deploy', deployRequest);
    succeeded('approve-deploy', await wait('approve-deploy', 'deploy result', finalReply(deployRequest), stepTimeoutMs));
  });

  await step('upload', `alice uploads ${files.length} MNIST-like images to the workspace datastore`, async () => {
    observer.action(requester, `uploads ${files.map((f) => f.name).join(', ')} to ${inputUri}`);
    await Promise.all(files.map((f) => azureml.admin.putDatastoreFile(`${inputFolder}/${f.name}`, f.content)));
  });

  const run = await step('run', 'alice runs a batch scoring job on them and follows it in the thread', async () => {
    const before = seen();
    // An explicit output file: Azure reports no output location for a job that names none, so the reply
    // (and this check) can only name the one the request asked for.
    await slash(requester, `run ${endpointName} ${inputUri} --output azureml://datastores/workspaceblobstore/paths/${inputFolder}-scored/predictions.csv`);
    const parent = await wait('run', 'run request in the channel', newRequestMessage(before));
    const final = succeeded('run', await wait('run', 'job result', finalReply(parent), stepTimeoutMs));
    const jobName = /job `([^`]+)`/.exec(final.text)?.[1];
    const outputUri = /azureml:\/\/datastores\/[^\s`|>)]+/.exec(contentOf(final))?.[0];
    if (!jobName || !outputUri) throw new Error(`the final reply names no job or output: ${final.text}`);
    const content = contentOf(final);
    const previewShown = content.includes('First rows of the predictions') && content.includes('Download the predictions');
    if (!previewShown) throw new Error('the final reply shows no preview of the predictions or no download link');
    observer.detail('the reply shows the items scored, the first rows of the predictions and a 24-hour download link');
    return { jobName, outputUri, predictions: await readPredictions(outputUri), previewShown };
  });

  /** The job really scored every file: its predictions file has one row per input. */
  async function readPredictions(outputUri: string): Promise<string[]> {
    const match = /^azureml:\/\/datastores\/([^/]+)\/paths\/(.+?)\/?$/.exec(outputUri);
    if (!match) throw new Error(`unexpected output location ${outputUri}`);
    const [, datastore, folder] = match as unknown as [string, string, string];
    const file = folder.endsWith('.csv') ? folder : `${folder}/predictions.csv`;
    const csv = await azureml.admin.readDatastoreFile(file, datastore);
    if (!csv) throw new Error(`no predictions at ${file} on ${datastore}`);
    const lines = csv.toString('utf8').trim().split('\n');
    if (lines.length !== files.length) throw new Error(`expected ${files.length} predictions, found ${lines.length}`);
    observer.detail(`${file} has ${lines.length} rows (file,digit): ${lines.slice(0, 4).join('  ')} …`);
    return lines;
  }

  await step('jobs', "alice lists the endpoint's jobs", async () => {
    const count = privateAnswers().length;
    await slash(requester, `jobs ${endpointName}`);
    await wait('jobs', 'job list', newPrivateAnswer(count, (m) => contentOf(m).includes(run.jobName)));
  });

  await step('status', "alice asks for the job's status", async () => {
    const count = privateAnswers().length;
    await slash(requester, `status ${run.jobName}`);
    await wait('status', 'job status', newPrivateAnswer(count, (m) => contentOf(m).includes(run.jobName)));
  });

  const triage = await step('triage', "a broken model path makes the next job's init() fail; the thread says why and how to fix it", async () => {
    // Fault injection: the sandbox makes the next job fail the way a scoring script whose init() raises does.
    azureml.admin.failNextJobs(1, undefined, 'init-error');
    observer.note('(the sandbox is told to make the next job fail in init(), as a wrong model path would)');
    const before = seen();
    await slash(requester, `run ${endpointName} ${inputUri}`);
    const parent = await wait('triage', 'run request in the channel', newRequestMessage(before));
    const final = await wait('triage', 'job result', finalReply(parent), stepTimeoutMs);
    if (!final.text.startsWith(':x:')) throw new DemoStepError('triage', `the job did not fail as injected: ${final.text}`);
    const sectionTexts = (final.blocks ?? []).map((b) => (b as { text?: { text?: string } }).text?.text ?? '');
    const firstLogLine = sectionTexts.find((t) => t.startsWith("*From the job's logs*"))?.split('\n')[1]?.replace(/^> /, '');
    const fix = sectionTexts.find((t) => t.startsWith(':wrench: '))?.slice(':wrench: '.length);
    const jobName = /Scoring job ([0-9a-f-]+)/.exec(final.text)?.[1] ?? '';
    if (!firstLogLine || !fix) throw new DemoStepError('triage', 'the failure reply shows no log lines or no fix');
    observer.detail(`the reply quotes the job's logs (${firstLogLine}) and says: ${fix}`);
    return { jobName, firstLogLine, fix };
  });

  await step('delete', 'alice deletes the endpoint; carol approves', async () => {
    const before = seen();
    await slash(requester, `delete ${endpointName}`);
    const parent = await wait('delete', 'delete request in the channel', newRequestMessage(before));
    await approve('delete', parent);
    succeeded('delete', await wait('delete', 'delete result', finalReply(parent), stepTimeoutMs));
  });

  await step('endpoints', 'alice lists the endpoints that are left', async () => {
    const count = privateAnswers().length;
    await slash(requester, 'endpoints');
    // The first private answer is the interim ":mag: Looking that up…"; the list follows.
    const answer = await wait('endpoints', 'endpoint list', newPrivateAnswer(count, (m) => !m.text.startsWith(':mag:')));
    if (contentOf(answer).includes(`\`${endpointName}\``)) throw new Error(`${endpointName} is still listed after its deletion`);
  });

  return {
    endpointName,
    deploymentName,
    jobName: run.jobName,
    inputUri,
    outputUri: run.outputUri,
    filesScored: run.predictions.length,
    predictions: run.predictions.slice(0, 5),
    previewShown: run.previewShown,
    triage,
    steps,
    totalMs: Date.now() - started,
  };
}
