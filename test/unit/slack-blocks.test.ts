import type { KnownBlock } from '@slack/types';
import { parseCommand, type Command } from '../../src/domain/command-grammar';
import { deploySpecSchema } from '../../src/domain/deploy-spec';
import { runSpecSchema } from '../../src/domain/run-spec';
import { APPROVAL_ACTIONS, buildApprovalDecidedMessage, buildApprovalRequestMessage } from '../../src/slack/blocks/approval-request-message';
import { SLACK_LIMITS, type SlackMessage } from '../../src/slack/blocks/block-kit';
import { buildDeployChecklistMessage, type ChecklistStep } from '../../src/slack/blocks/deploy-checklist-message';
import { buildEndpointDetailsMessage, buildEndpointsListMessage } from '../../src/slack/blocks/endpoint-messages';
import { buildDeploySucceededMessage, buildJobSucceededMessage, buildRequestFailedMessage } from '../../src/slack/blocks/final-reply-messages';
import { buildHelpMessage } from '../../src/slack/blocks/help-message';
import { buildJobStatusLineMessage, buildJobStatusMessage, jobStatusLine } from '../../src/slack/blocks/job-status-message';
import { buildJobsListMessage } from '../../src/slack/blocks/jobs-list-message';
import { buildParseErrorMessage } from '../../src/slack/blocks/parse-error-message';
import { buildRequestParentMessage, REQUEST_STATUSES } from '../../src/slack/blocks/request-parent-message';
import type { RequestSubject } from '../../src/domain/request-subject';
import { formatDuration, slackDate } from '../../src/slack/blocks/time-text';

const NOW = Date.UTC(2024, 4, 1, 12, 0, 0);
const INJECTION = '<!channel> @here <@U999> <https://evil.example|click> &amp; `tick`';
const HUGE = `${INJECTION} ${'x'.repeat(100_000)}`;

type AnyObject = Record<string, unknown>;

/** Every text object in a message, with the kind of place it sits in. */
function texts(node: unknown, place = 'root', out: { place: string; text: string; type: string }[] = []): typeof out {
  if (Array.isArray(node)) {
    for (const item of node) texts(item, place, out);
  } else if (node && typeof node === 'object') {
    const o = node as AnyObject;
    if ((o.type === 'mrkdwn' || o.type === 'plain_text') && typeof o.text === 'string') out.push({ place, text: o.text, type: o.type });
    for (const [key, value] of Object.entries(o)) texts(value, key === 'text' ? place : `${place}.${key}`, out);
  }
  return out;
}

/** Slack's limits, checked the way Slack would refuse the message with invalid_blocks. */
function expectWithinLimits(blocks: KnownBlock[], maxBlocks: number = SLACK_LIMITS.messageBlocks): void {
  expect(blocks.length).toBeLessThanOrEqual(maxBlocks);
  for (const block of blocks) {
    const b = block as unknown as AnyObject;
    if (typeof b.block_id === 'string') expect(b.block_id.length).toBeLessThanOrEqual(SLACK_LIMITS.blockId);
    if (b.type === 'section') {
      const text = b.text as { text: string } | undefined;
      if (text) expect(text.text.length).toBeLessThanOrEqual(SLACK_LIMITS.sectionText);
      const fields = (b.fields as { text: string }[] | undefined) ?? [];
      expect(fields.length).toBeLessThanOrEqual(SLACK_LIMITS.sectionFields);
      for (const f of fields) expect(f.text.length).toBeLessThanOrEqual(SLACK_LIMITS.sectionField);
      expect(text !== undefined || fields.length > 0).toBe(true);
    }
    if (b.type === 'header') expect((b.text as { text: string }).text.length).toBeLessThanOrEqual(SLACK_LIMITS.headerText);
    if (b.type === 'context') expect((b.elements as unknown[]).length).toBeLessThanOrEqual(SLACK_LIMITS.contextElements);
    if (b.type === 'actions') {
      for (const el of b.elements as AnyObject[]) {
        expect((el.text as { text: string }).text.length).toBeLessThanOrEqual(SLACK_LIMITS.buttonText);
        expect((el.action_id as string).length).toBeLessThanOrEqual(SLACK_LIMITS.actionId);
        expect(((el.value as string | undefined) ?? '').length).toBeLessThanOrEqual(SLACK_LIMITS.buttonValue);
      }
    }
  }
  for (const t of texts(blocks)) expect(t.text.length).toBeGreaterThan(0);
}

/** No user text may become a ping or a link: the canary's markup must arrive escaped everywhere. */
function expectInert(msg: SlackMessage): void {
  const all = [msg.text, ...texts(msg.blocks).filter((t) => t.type === 'mrkdwn').map((t) => t.text)].join('\n');
  expect(all).not.toContain('<!channel>');
  expect(all).not.toMatch(/(^|[^\u200d])@here/);
  expect(all).not.toContain('<@U999>');
  expect(all).not.toContain('<https://evil.example');
  expect(msg.text.length).toBeLessThanOrEqual(SLACK_LIMITS.messageText);
}

function expectGood(msg: SlackMessage): void {
  expectWithinLimits(msg.blocks);
  expectInert(msg);
}

function command(text: string): Command {
  const parsed = parseCommand(text);
  if (!parsed.ok) throw new Error(parsed.error.message);
  return parsed.command;
}

const deploySpec = deploySpecSchema.parse({
  endpointName: 'mnist-batch',
  deploymentName: 'mnist-torch',
  description: INJECTION,
  model: { kind: 'upload', localPath: `models/${INJECTION}`, name: 'mnist' },
  code: { kind: 'registered', name: 'score-mnist', version: '1' },
  scoringScript: `batch_driver.py ${INJECTION}`,
  environment: { kind: 'image', name: 'mnist-env', image: `mcr.microsoft.com/azureml/${INJECTION}:latest`, condaFile: 'name: x' },
  compute: { kind: 'create', name: 'batch-cluster', vmSize: '<!channel> @here' },
});
const runSpec = runSpecSchema.parse({
  endpointName: 'mnist-batch',
  input: { kind: 'UriFolder', uri: 'azureml://datastores/workspaceblobstore/paths/mnist/' },
  output: { uri: 'azureml://datastores/workspaceblobstore/paths/out/p.csv' },
});
const subjects: [string, RequestSubject][] = [
  ['a deploy from the modal', { kind: 'deploy', spec: deploySpec }],
  ['a run from the modal', { kind: 'run', spec: runSpec }],
  ['a run command', { kind: 'command', command: command('run mnist-batch https://example.com/mnist/0.png --file --deployment mnist-torch') }],
  ['a delete command', { kind: 'command', command: command('delete mnist-batch') }],
  ['a data register command', { kind: 'command', command: command('data register mnist https://example.com/mnist --version 2') }],
  ['a set-default command', { kind: 'command', command: command('set-default mnist-batch mnist-torch') }],
  ['a deploy --spec command', { kind: 'command', command: { verb: 'deploy', specFile: `specs/${INJECTION}.json` } }],
];

describe('time text', () => {
  it('formats durations for people', () => {
    expect(formatDuration(850)).toBe('850ms');
    expect(formatDuration(42_000)).toBe('42s');
    expect(formatDuration(185_000)).toBe('3m 05s');
    expect(formatDuration(2 * 3_600_000 + 7 * 60_000)).toBe('2h 07m');
    expect(formatDuration(-1)).toBe('unknown');
  });

  it('renders a moment as a Slack date token with a UTC fallback', () => {
    expect(slackDate(NOW)).toBe('<!date^1714564800^{date_short_pretty} at {time}|2024-05-01T12:00:00Z>');
  });
});

describe('help and parse errors', () => {
  it('lists every command in the help message', () => {
    const msg = buildHelpMessage({ commandName: '/batch' });
    expectGood(msg);
    const all = texts(msg.blocks).map((t) => t.text).join('\n');
    expect(all).toContain('/batch run');
    expect(all).toContain('/batch data register');
  });

  it('explains one command with an example', () => {
    const msg = buildHelpMessage({ topic: 'cancel' });
    expectGood(msg);
    expect(JSON.stringify(msg.blocks)).toContain('Example');
  });

  it('ignores a command name that is not a slash command', () => {
    expect(JSON.stringify(buildHelpMessage({ commandName: '<!channel>' }).blocks)).not.toContain('channel');
  });

  it('shows the message, the suggestion and the usage of a parse error, escaped', () => {
    const parsed = parseCommand(`${INJECTION} now`);
    expect(parsed.ok).toBe(false);
    if (parsed.ok) return;
    const msg = buildParseErrorMessage(parsed.error, { commandName: '/batch' });
    expectGood(msg);
    const typo = parseCommand('stauts x');
    if (typo.ok) throw new Error('expected an error');
    const withSuggestion = buildParseErrorMessage(typo.error);
    expect(JSON.stringify(withSuggestion.blocks)).toContain('Did you mean `status`?');
    expect(JSON.stringify(withSuggestion.blocks)).toContain('status &lt;job&gt;');
  });

  it('survives a huge error', () => {
    expectGood(buildParseErrorMessage({ message: HUGE, usage: HUGE, suggestion: HUGE }));
  });
});

describe('approval messages', () => {
  it.each(subjects)('renders the full request for %s, with Approve, Reject and Withdraw carrying the approval id', (_what, subject) => {
    const msg = buildApprovalRequestMessage({
      approvalId: 'apr_123',
      requesterId: 'UREQUESTER',
      subject,
      createdAt: NOW,
      expiresAt: NOW + 3_600_000,
      approvers: ['UAPPROVER1', 'SOPS', 'bogus<!here>'],
    });
    expectGood(msg);
    const actions = msg.blocks.find((b) => b.type === 'actions') as unknown as { block_id: string; elements: AnyObject[] };
    expect(actions.block_id).toBe(APPROVAL_ACTIONS.blockId);
    expect(actions.elements.map((e) => [e.action_id, e.value])).toEqual([
      [APPROVAL_ACTIONS.approve, 'apr_123'],
      [APPROVAL_ACTIONS.reject, 'apr_123'],
      [APPROVAL_ACTIONS.withdraw, 'apr_123'],
    ]);
    const json = JSON.stringify(msg.blocks);
    expect(json).toContain('<@UREQUESTER>');
    expect(json).toContain('<@UAPPROVER1>');
    expect(json).toContain('<!subteam^SOPS>');
    expect(json).toContain(slackDate(NOW + 3_600_000));
  });

  it('shows every field of a deploy, so the approver sees what will happen', () => {
    const msg = buildApprovalRequestMessage({ approvalId: 'a1', requesterId: 'UR1', subject: subjects[0]![1], createdAt: NOW, expiresAt: NOW + 1 });
    const all = texts(msg.blocks).map((t) => t.text).join('\n');
    for (const label of ['Endpoint', 'Deployment', 'Model', 'Code', 'Environment', 'Compute', 'Instances', 'Mini-batch size', 'Retries', 'Error threshold', 'Logging level', 'Make default']) {
      expect(all).toContain(`*${label}*`);
    }
    expect(all).toContain('`mnist-torch`');
  });

  it("shows a run's own settings, escaped, so the approver sees what the job will override", () => {
    const subject = {
      kind: 'run' as const,
      spec: {
        endpointName: 'mnist-batch',
        input: { kind: 'UriFolder' as const, uri: 'azureml://datastores/workspaceblobstore/paths/mnist/' },
        settings: { miniBatchSize: 2, errorThreshold: -1, outputFileName: '<!channel>*x*.csv' },
      },
    };
    const msg = buildApprovalRequestMessage({ approvalId: 'a1', requesterId: 'UR1', subject, createdAt: NOW, expiresAt: NOW + 1 });
    expectGood(msg);
    const all = texts(msg.blocks).map((t) => t.text).join('\n');
    expect(all).toContain('*Settings for this job*');
    expect(all).toContain('mini-batch size `2`');
    expect(all).toContain('error threshold `-1`');
    expect(all).not.toContain('<!channel>');
  });

  it('asks once more before approving a delete', () => {
    const del = buildApprovalRequestMessage({ approvalId: 'a1', requesterId: 'UR1', subject: subjects[3]![1], createdAt: NOW, expiresAt: NOW + 1 });
    const approve = (del.blocks.find((b) => b.type === 'actions') as unknown as { elements: AnyObject[] }).elements[0]!;
    expect(approve.confirm).toBeDefined();
  });

  it('keeps a huge approval id within the button value limit', () => {
    const msg = buildApprovalRequestMessage({ approvalId: 'a'.repeat(5000), requesterId: 'UR1', subject: subjects[1]![1], createdAt: NOW, expiresAt: NOW });
    expectGood(msg);
  });

  it.each(['approved', 'rejected', 'expired'] as const)('replaces the buttons with who decided and when (%s)', (decision) => {
    const msg = buildApprovalDecidedMessage({
      approvalId: 'apr_1',
      requesterId: 'UREQUESTER',
      subject: subjects[0]![1],
      createdAt: NOW,
      expiresAt: NOW + 1000,
      decision,
      deciderId: 'UAPPROVER1',
      decidedAt: NOW + 500,
    });
    expectGood(msg);
    expect(msg.blocks.some((b) => b.type === 'actions')).toBe(false);
    const json = JSON.stringify(msg.blocks);
    if (decision !== 'expired') expect(json).toContain('<@UAPPROVER1>');
    expect(json).toContain(slackDate(NOW + 500).slice(0, 20));
  });
});

describe('request parent message', () => {
  it.each(REQUEST_STATUSES)('renders the %s status line', (status) => {
    const msg = buildRequestParentMessage({
      requestId: 'req-1',
      requesterId: 'UREQUESTER',
      subject: subjects[2]![1],
      status,
      detail: INJECTION,
      updatedAt: NOW,
      elapsedMs: 61_000,
    });
    expectGood(msg);
    expect(JSON.stringify(msg.blocks)).toContain('1m 01s');
  });
});

describe('deploy checklist', () => {
  const steps: ChecklistStep[] = [
    { name: 'compute', status: 'done', durationMs: 1200 },
    { name: 'code', status: 'running', durationMs: 3000, detail: 'uploading 12 files' },
    { name: 'deployment', status: 'pending' },
    { name: 'default', status: 'failed', durationMs: 10, detail: INJECTION },
  ];

  it('shows each step with its status emoji and duration', () => {
    const msg = buildDeployChecklistMessage({ endpointName: 'mnist-batch', deploymentName: 'mnist-torch', steps });
    expectGood(msg);
    const all = texts(msg.blocks).map((t) => t.text).join('\n');
    expect(all).toContain(':white_check_mark: Compute cluster · _1s_');
    expect(all).toContain(':hourglass_flowing_sand: Scoring code · _3s_ · uploading 12 files');
    expect(all).toContain(':white_circle: Batch deployment');
    expect(all).toContain(':x: Default deployment');
  });

  it('shows an unknown step by its (escaped) name and stays in limits with hundreds of steps', () => {
    const many: ChecklistStep[] = Array.from({ length: 500 }, (_, i) => ({ name: `${INJECTION}-${i}`, status: 'pending', detail: HUGE }));
    const msg = buildDeployChecklistMessage({ endpointName: HUGE, deploymentName: HUGE, steps: many });
    expectGood(msg);
    expect(JSON.stringify(msg.blocks)).toContain('more');
  });

  it('is not fooled by a step named after an Object.prototype member', () => {
    const msg = buildDeployChecklistMessage({ endpointName: 'e', deploymentName: 'd', steps: [{ name: 'constructor', status: 'done' }] });
    expect(JSON.stringify(msg.blocks)).toContain('constructor');
  });
});

describe('job status', () => {
  it('renders a one-line status with emoji and duration', () => {
    expect(jobStatusLine({ jobName: 'job-1', endpointName: 'mnist-batch', status: 'Running', elapsedMs: 185_000 })).toBe(
      ':gear: `job-1` on `mnist-batch` · *Running* · 3m 05s',
    );
    expect(jobStatusLine({ jobName: 'job-1', status: 'toString' })).toContain(':grey_question:');
  });

  it('renders the status line message and the details, escaped and in limits', () => {
    expectGood(buildJobStatusLineMessage({ jobName: HUGE, endpointName: HUGE, status: HUGE }));
    expectGood(buildJobStatusLineMessage({ jobName: HUGE, endpointName: HUGE, status: HUGE, studioUrl: 'https://ml.azure.com/runs/x' }));
    // It replaces the job's "started" message in place, so it keeps that message's studio link and command.
    const line = JSON.stringify(buildJobStatusLineMessage({ jobName: 'job-1', endpointName: 'mnist-batch', status: 'Completed', studioUrl: 'https://ml.azure.com/runs/job-1' }).blocks);
    expect(line).toContain('https://ml.azure.com/runs/job-1');
    expect(line).toContain('`status job-1`');
    const msg = buildJobStatusMessage({
      jobName: 'job-1',
      endpointName: 'mnist-batch',
      deploymentName: 'mnist-torch',
      status: 'Completed',
      createdAt: NOW,
      elapsedMs: 1000,
      inputUri: INJECTION,
      outputUri: HUGE,
      studioUrl: 'https://ml.azure.com/runs/job-1?wsid=x&tid=y',
    });
    expectGood(msg);
    expect(JSON.stringify(msg.blocks)).toContain('<https://ml.azure.com/runs/job-1?wsid=x&amp;tid=y|Open in Azure ML studio>');
  });
});

describe('final replies', () => {
  it('reports a deploy with endpoint, deployment, scoring URI, studio link and duration', () => {
    const msg = buildDeploySucceededMessage({
      requesterId: 'UREQUESTER',
      endpointName: 'mnist-batch',
      deploymentName: 'mnist-torch',
      isDefault: true,
      scoringUri: 'https://mnist-batch.eastus.inference.ml.azure.com/jobs',
      studioUrl: 'https://ml.azure.com/endpoints/batch/mnist-batch',
      durationMs: 754_000,
    });
    expectGood(msg);
    const json = JSON.stringify(msg.blocks);
    for (const part of ['`mnist-batch`', '`mnist-torch` (default)', 'inference.ml.azure.com/jobs', 'Open in Azure ML studio', '12m 34s', '<@UREQUESTER>']) {
      expect(json).toContain(part);
    }
  });

  it('reports a job with output location, studio link and duration', () => {
    const msg = buildJobSucceededMessage({
      requesterId: 'UREQUESTER',
      jobName: 'job-1',
      endpointName: 'mnist-batch',
      outputLocation: 'azureml://datastores/workspaceblobstore/paths/out/p.csv',
      studioUrl: 'javascript:alert(1)',
      durationMs: 5000,
    });
    expectGood(msg);
    const json = JSON.stringify(msg.blocks);
    expect(json).toContain('paths/out/p.csv');
    expect(json).not.toContain('javascript:');
  });

  it('reports a failure with the step, the service error, the request ids, and mentions the requester', () => {
    const msg = buildRequestFailedMessage({
      requesterId: 'UREQUESTER',
      what: 'Deploy mnist-torch to mnist-batch',
      failedStep: 'deployment',
      errorCode: 'BadArgument',
      errorMessage: 'The compute was not found.\nCheck the name.',
      requestId: 'req-1',
      serviceRequestId: '0f1e2d3c-aaaa-bbbb-cccc-111122223333',
      hint: 'Create the cluster or pick an existing one.',
      durationMs: 3000,
    });
    expectGood(msg);
    const json = JSON.stringify(msg.blocks);
    for (const part of ['<@UREQUESTER>', '`deployment`', '*BadArgument*', '> The compute was not found.', '> Check the name.', '`req-1`', '0f1e2d3c-aaaa-bbbb-cccc-111122223333']) {
      expect(json).toContain(part);
    }
  });

  it('escapes and bounds a huge hostile service error', () => {
    expectGood(
      buildRequestFailedMessage({ requesterId: '<!here>', what: HUGE, failedStep: HUGE, errorCode: HUGE, errorMessage: HUGE, requestId: HUGE, serviceRequestId: HUGE, hint: HUGE }),
    );
  });
});

describe('endpoints and jobs', () => {
  it('lists endpoints with their default deployment', () => {
    const msg = buildEndpointsListMessage({
      endpoints: [
        { name: 'mnist-batch', defaultDeployment: 'mnist-torch', provisioningState: 'Succeeded' },
        { name: 'heart-batch', provisioningState: 'Creating' },
      ],
    });
    expectGood(msg);
    const all = texts(msg.blocks).map((t) => t.text).join('\n');
    expect(all).toContain('`mnist-batch` :large_green_circle: Succeeded · default `mnist-torch`');
    expect(all).toContain('`heart-batch` :large_yellow_circle: Creating · no default deployment');
  });

  it('says so when there are no endpoints or jobs', () => {
    expectGood(buildEndpointsListMessage({ endpoints: [] }));
    expectGood(buildJobsListMessage({ jobs: [] }));
  });

  it('stays within the limits for thousands of endpoints and jobs with hostile names', () => {
    const endpoints = Array.from({ length: 3000 }, (_, i) => ({ name: `${INJECTION}${i}`, defaultDeployment: HUGE.slice(0, 500) }));
    const msg = buildEndpointsListMessage({ endpoints });
    expectGood(msg);
    expect(JSON.stringify(msg.blocks)).toMatch(/and \d+ more/);
    const jobs = Array.from({ length: 3000 }, (_, i) => ({ name: `job-${i}`, status: 'Running', endpointName: INJECTION, createdAt: NOW }));
    expectGood(buildJobsListMessage({ endpointName: INJECTION, jobs }));
  });

  it('shows an endpoint with its deployments, the default marked, and its scoring URI', () => {
    const msg = buildEndpointDetailsMessage({
      endpoint: {
        name: 'mnist-batch',
        defaultDeployment: 'mnist-torch',
        provisioningState: 'Succeeded',
        scoringUri: 'https://mnist-batch.eastus.inference.ml.azure.com/jobs',
        description: INJECTION,
        studioUrl: 'https://ml.azure.com/x',
      },
      deployments: [
        { name: 'mnist-torch', provisioningState: 'Succeeded', instanceCount: 2, compute: 'batch-cluster', model: 'mnist:1' },
        { name: 'mnist-keras', provisioningState: 'Failed' },
      ],
    });
    expectGood(msg);
    const all = texts(msg.blocks).map((t) => t.text).join('\n');
    expect(all).toContain('`mnist-torch` *(default)* :large_green_circle: Succeeded · 2 instance(s) · compute `batch-cluster` · model `mnist:1`');
    expect(all).toContain('`mnist-keras` :red_circle: Failed');
    expect(all).toContain('inference.ml.azure.com/jobs');
  });

  it('keeps an endpoint with thousands of deployments within the limits', () => {
    const deployments = Array.from({ length: 2000 }, (_, i) => ({ name: `${INJECTION}-${i}`, model: HUGE.slice(0, 3000) }));
    expectGood(buildEndpointDetailsMessage({ endpoint: { name: HUGE, description: HUGE, scoringUri: HUGE }, deployments }));
  });
});
