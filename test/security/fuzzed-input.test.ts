// Property-based tests of what users can type, end to end through the bot's real HTTP receiver (signed
// requests, Bolt, our handlers, Redis): a few hundred random and malformed slash commands (unicode,
// control characters, huge strings, injection strings, near-miss commands) and random deploy-form
// values. The bot never crashes, always answers 200 within Slack's 3 seconds, and enqueues nothing for
// input it refuses. Workers are off, so whatever the bot enqueued stays countable.
import fc from 'fast-check';
import pino from 'pino';
import { formatSlashText, type StateValues } from '../../sandbox/slack/driver';
import { fillStateValues } from '../../sandbox/slack/view-state-values';
import { parseCommand } from '../../src/domain/command-grammar';
import { triageFailure } from '../../src/domain/failure-triage';
import { previewPredictions } from '../../src/domain/predictions-preview';
import { jobOutcomeBlocks } from '../../src/slack/blocks/job-outcome-sections';
import { STACK_CHANNEL, STACK_USERS, startEmbeddedStack, type EmbeddedStack } from '../../dev/embedded-stack';
import { createQueueInspector, type QueueInspector } from '../support/stack-probes';
import { signedButtonClick } from '../support/button-click';
import { JOB_ACTIONS } from '../../src/slack/blocks/job-buttons';
import { deployFields, openDeployModal } from '../support/user-gestures';

let stack: EmbeddedStack;
let queues: QueueInspector;
const figures = {
  slash: { runs: 0, refused: 0, accepted: 0, slowestMs: 0 },
  modal: { runs: 0, refused: 0, accepted: 0, slowestMs: 0 },
  buttons: { runs: 0, slowestMs: 0 },
};

beforeAll(async () => {
  stack = await startEmbeddedStack({ logger: pino({ level: 'silent' }), workers: false, slackRateLimit: 'off' });
  queues = createQueueInspector(stack.redis.url, stack.config.redis.queuePrefix);
}, 60_000);

afterAll(async () => {
  process.stdout.write(`fuzzed input: ${JSON.stringify(figures)}\n`);
  await queues?.close();
  await stack?.stop();
});

async function footprint(): Promise<string> {
  const prefix = stack.config.redis.queuePrefix;
  return JSON.stringify({
    jobs: await queues.total(),
    outboxes: (await queues.redis.keys(`${prefix}:outbox:*:entries`)).length,
    approvals: (await queues.redis.keys(`${prefix}:approval*`)).length,
    messages: stack.slack.messages(STACK_CHANNEL).length,
  });
}

const VERBS = ['run', 'deploy', 'status', 'jobs', 'endpoints', 'show', 'cancel', 'set-default', 'delete', 'data', 'help', 'runn', 'RUN', 'Run'];
const NASTY = [
  '<!channel>', '<!here>', '<https://evil.example.com|innocent>', '<@U0BOB00001>', '@channel', '&lt;', '"', "'", '`', '```', '\\', '$(rm -rf /)', '; DROP TABLE jobs;--',
  '../../etc/passwd', 'file:///etc/passwd', 'http://169.254.169.254/metadata', 'azureml://datastores/x/paths/../../y', '—output', '--output', '--file', '--deployment', '\u0000', '\u202e', '\ufeff', '\ud83d\ude00', 'ﬁ', '\r\n', '\t',
];
const word = fc.oneof(
  fc.constantFrom(...VERBS, ...NASTY),
  fc.string({ unit: 'binary', maxLength: 40 }),
  fc.string({ unit: 'grapheme', maxLength: 40 }),
  fc.webUrl(),
  fc.stringMatching(/^[a-z][a-z0-9-]{0,40}$/),
);
const commandText = fc.oneof(
  { weight: 5, arbitrary: fc.array(word, { maxLength: 8 }).map((ws) => ws.join(' ')) },
  { weight: 2, arbitrary: fc.string({ unit: 'binary', maxLength: 300 }) },
  { weight: 1, arbitrary: fc.string({ unit: 'binary-ascii', minLength: 3_000, maxLength: 50_000 }) },
  { weight: 1, arbitrary: fc.array(fc.integer({ min: 0, max: 31 }), { maxLength: 50 }).map((cs) => String.fromCharCode(...cs)) },
);

it('answers every slash command with 200 within 3 s and enqueues nothing for what it refuses', async () => {
  await fc.assert(
    fc.asyncProperty(commandText, async (text) => {
      const before = await footprint();
      const res = await stack.driver.slash(text, { user: STACK_USERS.requester, channel: STACK_CHANNEL });
      figures.slash.runs++;
      figures.slash.slowestMs = Math.max(figures.slash.slowestMs, Math.round(res.durationMs));
      expect(res.status).toBe(200);
      expect(res.durationMs).toBeLessThan(3_000);
      // The bot reads what Slack sends: the typed text escaped, its links wrapped.
      if (!parseCommand(formatSlashText(text)).ok) {
        figures.slash.refused++;
        // A clear error: said privately, with something to read.
        const body = res.body as { response_type?: string; text?: string };
        expect(body.response_type).toBe('ephemeral');
        expect(body.text?.length ?? 0).toBeGreaterThan(10);
        expect(await footprint()).toBe(before);
      } else {
        figures.slash.accepted++;
      }
    }),
    { numRuns: 300 },
  );
  // Still alive and well after all that.
  const help = await stack.driver.slash('help', { user: STACK_USERS.requester, channel: STACK_CHANNEL });
  expect(help.status).toBe(200);
}, 120_000);

it('answers random values on the job buttons (Cancel, Re-run, Retry deploy) with 200 within 3 s, a private refusal, and nothing started', async () => {
  // A button value is network input like any other: a forged click can carry anything at all.
  const value = fc.oneof(fc.constantFrom(...NASTY, '', 'r', 'rAAAAAAAAAAAAAAAA'), fc.string({ unit: 'binary', maxLength: 300 }), fc.string({ unit: 'binary-ascii', minLength: 2_000, maxLength: 3_000 }));
  const actionId = fc.constantFrom(JOB_ACTIONS.cancel, JOB_ACTIONS.rerun, JOB_ACTIONS.retryDeploy);
  const user = STACK_USERS.requester;
  await fc.assert(
    fc.asyncProperty(actionId, value, async (action, forged) => {
      const before = await footprint();
      const answers = stack.slack.ephemerals(STACK_CHANNEL, user).length;
      const views = stack.slack.views().length;
      const click = signedButtonClick(stack.slack, stack.driver, { channel: STACK_CHANNEL, ts: '1700000000.000100', actionId: action, value: forged, user: { id: user, name: 'alice' } });
      const started = Date.now();
      const res = await stack.driver.postRaw(click.body, click.headers);
      figures.buttons.runs++;
      figures.buttons.slowestMs = Math.max(figures.buttons.slowestMs, Date.now() - started);
      expect(res.status).toBe(200);
      expect(Date.now() - started).toBeLessThan(3_000);
      await stack.driver.waitFor(() => stack.slack.ephemerals(STACK_CHANNEL, user).length > answers, { what: 'the private refusal' });
      const said = stack.slack.ephemerals(STACK_CHANNEL, user).at(-1)!.text;
      expect(said).toMatch(/no longer leads anywhere/);
      expect(await footprint()).toBe(before);
      expect(stack.slack.views().length).toBe(views);
    }),
    { numRuns: 60 },
  );
}, 120_000);

const TEXT_FIELDS = [
  'endpoint', 'deployment', 'description', 'model', 'model_name', 'code', 'code_name', 'scoring_script', 'image', 'environment_name', 'compute_name',
  'vm_size', 'min_nodes', 'max_nodes', 'instance_count', 'max_concurrency', 'mini_batch_size', 'max_retries', 'timeout', 'error_threshold',
];
const fieldValue = fc.oneof(fc.constantFrom(...NASTY, '', ' ', '-1', '0', '1e309', 'NaN', '99999999999'), fc.string({ unit: 'binary', maxLength: 200 }), fc.string({ unit: 'binary-ascii', minLength: 3_001, maxLength: 4_000 }));
const formChanges = fc.dictionary(fc.constantFrom(...TEXT_FIELDS), fieldValue, { minKeys: 1, maxKeys: 6 });

it('answers random deploy-form values with inline errors (or takes a valid form), never enqueuing a refused one', async () => {
  let viewId = await openDeployModal(stack);
  await fc.assert(
    fc.asyncProperty(formChanges, async (changes) => {
      const view = stack.slack.view(viewId)!;
      // Raw state values, as a hand-made request could send them (the Slack client's own checks skipped).
      const state: StateValues = fillStateValues(view.blocks, deployFields('fuzz-form'));
      for (const [blockId, value] of Object.entries(changes)) {
        const entry = state[blockId];
        if (!entry) continue;
        for (const element of Object.values(entry)) {
          if ((element as { type?: string }).type === 'plain_text_input') (element as { value?: string }).value = value;
        }
      }
      const before = await footprint();
      const res = await stack.driver.submitView(viewId, state, { user: STACK_USERS.requester });
      figures.modal.runs++;
      figures.modal.slowestMs = Math.max(figures.modal.slowestMs, Math.round(res.durationMs));
      expect(res.status).toBe(200);
      expect(res.durationMs).toBeLessThan(3_000);
      if (res.outcome.kind === 'errors') {
        figures.modal.refused++;
        const errors = (res.body as { errors: Record<string, string> }).errors;
        for (const message of Object.values(errors)) expect(message.length).toBeGreaterThan(5);
        expect(await footprint()).toBe(before);
      } else {
        expect(res.outcome.kind).toBe('closed');
        figures.modal.accepted++;
        viewId = await openDeployModal(stack);
      }
    }),
    { numRuns: 80 },
  );
}, 120_000);

it("turns random log files and predictions into sections that stay escaped and within Slack's limits", () => {
  // Logs and predictions are written by the user's scoring script: anything at all can be in them.
  const hostile = fc.constantFrom('<!channel>', '<!here>', '<@U0BOB00001>', '<https://evil.example.com|x>', '```', '&', '\u0000', '\r\n', 'Traceback (most recent call last):', '  File "s.py", line 1, in run');
  const text = fc.array(fc.oneof(fc.string({ maxLength: 400 }), fc.string({ unit: 'grapheme', maxLength: 50 }), hostile), { maxLength: 40 }).map((parts) => parts.join(''));
  fc.assert(
    fc.property(text, text, text, text, fc.boolean(), (detail, jobError, overview, csv, truncated) => {
      const triage = triageFailure({ userErrorDetail: detail, jobError, progressOverview: overview });
      const preview = previewPredictions({ text: csv, truncated });
      const blocks = jobOutcomeBlocks({
        status: truncated ? 'Completed' : 'Failed',
        ...(triage.progress ? { progress: triage.progress } : {}),
        triage: { errorLines: triage.errorLines, ...(triage.recognised ? { fix: triage.recognised.fix } : {}) },
        preview,
        logsUrl: 'https://ml.azure.com/runs/x',
      });
      for (const block of blocks) {
        const t = JSON.stringify(block);
        expect(t).not.toMatch(/<!(channel|here|everyone)|<@U|<https:\/\/evil/);
        const section = block as { text?: { text: string } };
        if (section.text) expect(section.text.text.length).toBeLessThanOrEqual(3000);
        // A code block is opened and closed by us only.
        if (section.text?.text.includes('```')) expect(section.text.text.match(/```/g)).toHaveLength(2);
      }
      expect(blocks.length).toBeLessThanOrEqual(6);
    }),
    { numRuns: 300 },
  );
});
