// The demo's scenario (what `npm run demo` plays) on the real embedded stack, in-process and on a fast
// time scale: every step of the recipe through Slack succeeds, and the live transcript a person would
// read shows the request threads with their final replies.
import pino from 'pino';
import { startChannelTranscript, type ChannelTranscript } from '../../dev/demo/channel-transcript';
import { DEMO_STEPS, DemoStepError, runDemoScenario } from '../../dev/demo/demo-scenario';
import { STACK_CHANNEL, startEmbeddedStack, type EmbeddedStack } from '../../dev/embedded-stack';

let stack: EmbeddedStack;
let transcript: ChannelTranscript;
const lines: string[] = [];

beforeAll(async () => {
  stack = await startEmbeddedStack({ logger: pino({ level: 'silent' }), perChannelIntervalMs: 50, slackRateLimit: 'count' });
  transcript = startChannelTranscript({ slack: stack.slack, write: (text) => lines.push(text) });
});

afterAll(async () => {
  transcript?.stop();
  await stack?.stop();
});

it('plays the whole recipe through Slack: help, deploy with approval, upload, run (with a preview), jobs, status, a failing job (with triage), delete with approval, endpoints', async () => {
  const notes: string[] = [];
  const result = await runDemoScenario(stack, {
    observer: { note: (t) => notes.push(t), detail: (t) => notes.push(t), action: (user, t) => notes.push(`${user} ${t}`) },
    inputFiles: 6,
  });

  expect(result.steps.map((s) => s.step)).toEqual([...DEMO_STEPS]);
  expect(result.filesScored).toBe(6);
  expect(result.predictions[0]).toMatch(/^0\.png,\d$/);
  // The output file the run asked for (Azure names no output for a job that asks for none).
  expect(result.outputUri).toMatch(/^azureml:\/\/datastores\/workspaceblobstore\/paths\/.+\/predictions\.csv$/);
  // A completed job's preview, and a failing job's triage.
  expect(result.previewShown).toBe(true);
  expect(result.triage.firstLogLine).toContain('FileNotFoundError');
  expect(result.triage.fix).toContain("The scoring script's init() raised");
  // The endpoint is gone after its approved deletion.
  expect(stack.azureml.admin.resources().batchEndpoints).toEqual([]);
  expect(notes.some((n) => n.includes('clicks [Approve]'))).toBe(true);

  const live = lines.join('\n');
  expect(live).toContain('(edited)');
  expect(live).toMatch(/↳ \[\d+\] in thread \[\d+\]/);
  const channel = transcript.snapshot(STACK_CHANNEL);
  expect(channel).toContain(`job \`${result.jobName}\` on \`${result.endpointName}\` completed`);
  expect(channel).toContain(`deployed \`mnist-torch\` to \`${result.endpointName}\``);
});

it('names the step that failed when Azure ML reports a failure', async () => {
  stack.azureml.admin.failDeploymentProvisioning('mnist-broken', 'mnist-torch', { code: 'ImagePullFailed', message: 'the image could not be pulled' });
  const failure = await runDemoScenario(stack, { endpointName: 'mnist-broken', stepTimeoutMs: 20_000 }).then(
    () => undefined,
    (err: unknown) => err,
  );
  expect(failure).toBeInstanceOf(DemoStepError);
  expect(failure).toMatchObject({ step: 'approve-deploy' });
  expect((failure as Error).message).toMatch(/step "approve-deploy" failed: the bot reported a failure: .*failed/);
});
