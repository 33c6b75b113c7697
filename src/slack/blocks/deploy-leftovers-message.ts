// A deploy that failed half-way says what it created and left behind (only what this request created),
// with a button to have it removed. The button carries the request id only; the list is read back from
// the worker's record when clicked, and removing goes through the same approval rules as delete.
import { describeCreatedResource, type CreatedResource } from '../../domain/deploy-leftovers';
import { code, escapeMrkdwn, mention } from '../mrkdwn';
import { actions, button, message, section, type SlackMessage } from './block-kit';

export const LEFTOVER_ACTIONS = {
  blockId: 'deploy-leftovers',
  remove: 'deploy-remove-leftovers',
} as const;

/** One line per resource: "compute cluster `batch-cluster`". */
export function leftoverLines(resources: readonly CreatedResource[]): string {
  return resources
    .slice(0, 20)
    .map((r) => {
      const d = describeCreatedResource(r);
      return `• ${escapeMrkdwn(d.what)} ${code(d.name)}`;
    })
    .join('\n');
}

const REMOVE_CONFIRM = {
  title: 'Remove what this deploy created?',
  text: 'Each resource listed is deleted from the workspace; this cannot be undone. It may need an approval first.',
  confirm: 'Remove',
  deny: 'Keep them',
};

/** The failure message with what the request created and the button to remove it. */
export function withLeftovers(failure: SlackMessage, view: { requestId: string; resources: readonly CreatedResource[] }): SlackMessage {
  if (view.resources.length === 0) return failure;
  const list = leftoverLines(view.resources);
  return message(`${failure.text}\nThis request created, and left behind:\n${list}`, [
    ...failure.blocks,
    section(`*This request created, and left behind* (nothing that existed before is listed):\n${list}`),
    actions(LEFTOVER_ACTIONS.blockId, [
      button({ text: 'Remove what this created', actionId: LEFTOVER_ACTIONS.remove, value: view.requestId, style: 'danger', confirm: REMOVE_CONFIRM }),
    ]),
  ]);
}

/** The cleanup's outcome, per resource. */
export function buildLeftoversRemovedMessage(view: {
  requesterId: string;
  sourceRequestId: string;
  outcomes: ReadonlyArray<{ resource: CreatedResource; outcome: 'removed' | 'already-gone' | 'failed'; error?: string }>;
}): SlackMessage {
  const failed = view.outcomes.filter((o) => o.outcome === 'failed');
  const head = failed.length === 0
    ? `:wastebasket: ${mention(view.requesterId)} removed what request ${code(view.sourceRequestId)} created`
    : `:warning: ${mention(view.requesterId)} removed only part of what request ${code(view.sourceRequestId)} created (${failed.length} could not be removed)`;
  const lines = view.outcomes
    .map(({ resource, outcome, error }) => {
      const d = describeCreatedResource(resource);
      const how = outcome === 'removed' ? 'removed' : outcome === 'already-gone' ? 'already gone' : `*not removed*: ${escapeMrkdwn(error ?? 'unknown error')}`;
      return `• ${escapeMrkdwn(d.what)} ${code(d.name)}: ${how}`;
    })
    .join('\n');
  return message(`${head}\n${lines}`, [section(`${head}\n${lines}`)]);
}
