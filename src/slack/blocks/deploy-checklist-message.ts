// The deploy checklist, posted once in the request's thread and updated in place as each step of the
// deploy plan starts, finishes or fails. Step names are the deploy plan's (src/azureml/deploy-plan.ts:
// compute, datastore, code, model, environment, endpoint, deployment, default); other names are shown
// as given, so a new step shows up without a change here.
import type { DeployChecklistStep, DeployStepStatus } from '../../usecases/deploy-summary';
import { code, escapeMrkdwn, truncateEscaped } from '../mrkdwn';
import { context, header, linesToSections, message, SLACK_LIMITS, type SlackMessage } from './block-kit';
import { formatDuration } from './time-text';

export type ChecklistStepStatus = DeployStepStatus;

/** A step of the deploy checklist (src/usecases/deploy-summary.ts), with how long it took when known. */
export type ChecklistStep = DeployChecklistStep & { durationMs?: number };

const STEP_LABELS: ReadonlyMap<string, string> = new Map(Object.entries({
  compute: 'Compute cluster',
  datastore: 'Default datastore',
  code: 'Scoring code',
  model: 'Model',
  environment: 'Environment',
  endpoint: 'Batch endpoint',
  deployment: 'Batch deployment',
  default: 'Default deployment',
}));

export const STEP_EMOJI: Readonly<Record<ChecklistStepStatus, string>> = {
  pending: ':white_circle:',
  running: ':hourglass_flowing_sand:',
  done: ':white_check_mark:',
  failed: ':x:',
};

export function checklistLine(step: ChecklistStep): string {
  const label = STEP_LABELS.get(step.name) ?? escapeMrkdwn(step.name);
  const emoji = Object.hasOwn(STEP_EMOJI, step.status) ? STEP_EMOJI[step.status] : ':grey_question:';
  const parts = [`${emoji} ${label}`];
  if (step.durationMs !== undefined && step.status !== 'pending') parts.push(`_${formatDuration(step.durationMs)}_`);
  if (step.detail) parts.push(truncateEscaped(escapeMrkdwn(step.detail.replace(/\s+/g, ' ')), 300));
  return parts.join(' · ');
}

export function buildDeployChecklistMessage(view: {
  endpointName: string;
  deploymentName: string;
  steps: readonly ChecklistStep[];
}): SlackMessage {
  const done = view.steps.filter((s) => s.status === 'done').length;
  const failed = view.steps.some((s) => s.status === 'failed');
  const summary = failed ? 'failed' : done === view.steps.length ? 'complete' : `${done}/${view.steps.length} steps done`;
  return message(`Deploy ${escapeMrkdwn(view.deploymentName)} to ${escapeMrkdwn(view.endpointName)}: ${summary}`, [
    header(`Deploy ${view.deploymentName} → ${view.endpointName}`),
    ...linesToSections(view.steps.map(checklistLine), SLACK_LIMITS.messageBlocks - 2),
    context([`${code(view.deploymentName)} on ${code(view.endpointName)} · ${summary}`]),
  ]);
}
