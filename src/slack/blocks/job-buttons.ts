// Buttons on a request's thread messages: Cancel on a running job's status line, Re-run on a job's final
// reply, Retry deploy on a failed deploy's final reply. Every value is the request id and nothing else:
// an opaque id the handler looks up in the request store, where what was asked, by whom and in which
// channel is kept; nothing in the click's payload is trusted (src/handlers/job-actions.ts). A button
// goes when it stops making sense: the status line is redrawn without Cancel once the job has ended.
import type { KnownBlock } from '@slack/types';
import { actions, button, message, SLACK_LIMITS, type SlackMessage } from './block-kit';

/** The ids the actions handler listens for. */
export const JOB_ACTIONS = {
  blockId: 'job-actions',
  cancel: 'job-cancel',
  rerun: 'job-rerun',
  retryDeploy: 'deploy-retry',
} as const;

export function cancelJobButtons(requestId: string): KnownBlock {
  return actions(JOB_ACTIONS.blockId, [
    button({
      text: 'Cancel job',
      actionId: JOB_ACTIONS.cancel,
      value: requestId,
      style: 'danger',
      confirm: { title: 'Cancel this job?', text: 'Azure ML stops the scoring job; items not scored yet are not scored.', confirm: 'Cancel job', deny: 'Keep it running' },
    }),
  ]);
}

export function rerunButtons(requestId: string): KnownBlock {
  return actions(JOB_ACTIONS.blockId, [button({ text: 'Re-run', actionId: JOB_ACTIONS.rerun, value: requestId })]);
}

export function retryDeployButtons(requestId: string): KnownBlock {
  return actions(JOB_ACTIONS.blockId, [button({ text: 'Retry deploy', actionId: JOB_ACTIONS.retryDeploy, value: requestId, style: 'primary' })]);
}

/** The message with the buttons as its last block (within Slack's 50 blocks: the buttons are kept). */
export function withButtons(reply: SlackMessage, buttons: KnownBlock): SlackMessage {
  return message(reply.text, [...reply.blocks.slice(0, SLACK_LIMITS.messageBlocks - 1), buttons]);
}
