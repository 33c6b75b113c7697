// What people read about locks: the refusal of a change (what is locked, by whom, since when, why and
// who can lift it), and the channel notes when a lock is set or lifted. The reason is user text, so it is
// escaped (and shown as a quote, never as live mrkdwn).
import type { Action } from '../../domain/approval-policy';
import type { EndpointLock } from '../../domain/endpoint-lock';
import { code, escapeMrkdwn } from '../mrkdwn';
import { message, section, type SlackMessage } from './block-kit';
import { slackDate } from './time-text';

const VERB_TEXT: Partial<Record<Action, string>> = {
  deploy: 'Deploying to',
  'set-default': 'Changing the default deployment of',
  delete: 'Deleting',
};

/** A Slack user id as a mention; anything else (a damaged record) as escaped text. */
function who(userId: string): string {
  return /^[UW][A-Z0-9]{2,}$/.test(userId) ? `<@${userId}>` : escapeMrkdwn(userId);
}

function reasonLine(lock: EndpointLock): string {
  return lock.reason ? `\n>${escapeMrkdwn(lock.reason).replace(/\n/g, ' ')}` : '\n_No reason was given._';
}

/** One line of who and when, e.g. "locked by @dana since Tue at 10:02". */
export function lockedByText(lock: EndpointLock): string {
  return `locked by ${who(lock.lockedBy)} since ${slackDate(lock.lockedAt)}`;
}

export function lockRefusal(lock: EndpointLock, action: Action): SlackMessage {
  const doing = VERB_TEXT[action] ?? 'Changing';
  const text = `:lock: ${doing} ${code(lock.endpointName)} is refused: the endpoint is ${lockedByText(lock)}.${reasonLine(lock)}\nAn approver can lift it with \`unlock ${lock.endpointName.replace(/`/g, '')}\`; nothing was started.`;
  return message(text, [section(text)]);
}

/** The refusal as plain text, for a form field's error (Slack shows those verbatim, no mrkdwn). */
export function lockRefusalPlain(lock: EndpointLock, action: Action): string {
  const doing = VERB_TEXT[action] ?? 'Changing';
  const since = new Date(lock.lockedAt).toISOString().replace(/\.\d{3}Z$/, 'Z');
  const reason = lock.reason ? ` Reason: ${lock.reason.replace(/\s+/g, ' ')}` : '';
  return `${doing} ${lock.endpointName} is refused: it is locked by ${lock.lockedBy} since ${since}.${reason} An approver can lift it with "unlock ${lock.endpointName}".`.slice(0, 2000);
}

export function lockSet(lock: EndpointLock): SlackMessage {
  const text = `:lock: ${who(lock.lockedBy)} locked ${code(lock.endpointName)}: deploys, default changes and deletions are refused until an approver unlocks it.${reasonLine(lock)}`;
  return message(text, [section(text)]);
}

export function lockAlreadySet(lock: EndpointLock): SlackMessage {
  const text = `:lock: ${code(lock.endpointName)} is already ${lockedByText(lock)}.${reasonLine(lock)}`;
  return message(text, [section(text)]);
}

export function lockLifted(lock: EndpointLock, by: string): SlackMessage {
  const text = `:unlock: ${who(by)} unlocked ${code(lock.endpointName)} (it was ${lockedByText(lock)}); changes are possible again.`;
  return message(text, [section(text)]);
}

export function notLocked(endpointName: string): SlackMessage {
  const text = `:unlock: ${code(endpointName)} is not locked; nothing to unlock.`;
  return message(text, [section(text)]);
}
