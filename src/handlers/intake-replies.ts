// What the requester is told, privately, right after a request is taken.
import type { IntakeOutcome } from './request-intake';

export function intakeReply(outcome: IntakeOutcome): string {
  switch (outcome.kind) {
    case 'queued':
      return outcome.inJobThread
        ? `:inbox_tray: Request \`${outcome.requestId}\` is queued; progress and the result will be posted in the job's own thread.`
        : `:inbox_tray: Request \`${outcome.requestId}\` is queued; progress and the result will be posted in its thread in this channel.`;
    case 'awaiting-approval':
      return `:hourglass_flowing_sand: Request \`${outcome.requestId}\` needs approval; an approver was asked ${outcome.inJobThread ? "in the job's own thread" : 'in this channel'}. It expires <!date^${Math.floor(outcome.expiresAt / 1000)}^{date_short_pretty} {time}|at ${new Date(outcome.expiresAt).toISOString()}>.`;
    case 'duplicate':
      return `:repeat: Request \`${outcome.requestId}\` was already taken; nothing new was started.`;
    case 'refused':
      return `:no_entry: ${outcome.message} Nothing was started.`;
  }
}

/**
 * The acknowledgement of a request that is checked with Azure first (request-preflight.ts): the
 * requester hears the verdict privately in a moment — refused with the reason, or taken.
 */
export function checkingReply(requestId: string): string {
  return `:mag: Checking request \`${requestId}\` with Azure ML before anything is asked or started; you will hear here, privately, in a moment.`;
}

export function unavailableReply(): string {
  return ':warning: The bot is temporarily unavailable (it cannot reach its queue), so nothing was started. Please try again in a minute.';
}

/** A user-group look-up failed (see user-groups.ts): say so, and that nothing happened. */
export function userGroupFailureReply(reason: 'unavailable' | 'no-user-groups', nothing: 'started' | 'decided'): string {
  return reason === 'no-user-groups'
    ? `:warning: The bot's configuration names Slack user groups, but this workspace has none (user groups need a paid Slack plan). Nothing was ${nothing}; ask the bot's operator to name people by user id instead.`
    : `:warning: I could not check the user group that decides who may do this (Slack did not answer). Nothing was ${nothing}; please try again in a minute.`;
}
