// Making user-provided text safe to show in Slack mrkdwn. Slack's "Formatting text for app surfaces"
// asks apps to escape &, < and > in any text they did not write: otherwise <!channel>, <!here>, <@U…>
// and <url|label> in a job name or an error message become live pings and disguised links.
// Some surfaces also turn a bare @channel / @here / @everyone into a broadcast, so those get a
// zero-width joiner after the "@" (invisible to the reader, not a mention to Slack).

const ZERO_WIDTH_JOINER = '\u200d';
const BROADCAST = /@(channel|here|everyone)\b/gi;

/** Escapes text for any mrkdwn field (section text, fields, context): nothing in it can ping or link. */
export function escapeMrkdwn(text: string): string {
  return text
    .replace(/&/g, '&amp;')
    .replace(/</g, '&lt;')
    .replace(/>/g, '&gt;')
    .replace(BROADCAST, (_all, word: string) => `@${ZERO_WIDTH_JOINER}${word}`);
}

/**
 * Inline code for user text. Backticks cannot be escaped inside Slack's inline code, so they are
 * removed; line breaks would end the span, so they become spaces. The content is still escaped,
 * because Slack parses &, < and > inside code spans too.
 */
export function code(text: string): string {
  const inner = text.replace(/`/g, '').replace(/[\r\n]+/g, ' ');
  return inner.trim() === '' ? '` `' : `\`${escapeMrkdwn(inner)}\``;
}

/**
 * Shortens text to at most `max` characters (UTF-16 units, as Slack counts), ending with "…".
 * Never splits a surrogate pair, so emoji and astral characters stay whole.
 */
export function truncate(text: string, max: number): string {
  if (max <= 0) return '';
  if (text.length <= max) return text;
  if (max === 1) return '…';
  let end = max - 1;
  const last = text.charCodeAt(end - 1);
  if (last >= 0xd800 && last <= 0xdbff) end -= 1;
  return `${text.slice(0, end)}…`;
}

/**
 * Truncates escaped mrkdwn without cutting an entity (&amp; &lt; &gt;) in half, which would show as
 * garbage. Escape first, then fit, so the limit applies to what Slack receives.
 */
export function truncateEscaped(escaped: string, max: number): string {
  const cut = truncate(escaped, max);
  if (cut === escaped) return cut;
  const body = cut.slice(0, -1);
  const partialEntity = /&[a-z]{0,3}$/.exec(body);
  return partialEntity ? `${body.slice(0, partialEntity.index)}…` : cut;
}

const USER_ID = /^[UW][A-Z0-9]+$/;

/** A user mention, only for a validated Slack user id; anything else is shown escaped, not linked. */
export function mention(userId: string): string {
  return USER_ID.test(userId) ? `<@${userId}>` : escapeMrkdwn(userId);
}

/** A link with a label, only for http(s) URLs; the label is escaped and cannot break out of the link. */
export function link(url: string, label: string): string {
  if (!/^https?:\/\/[^\s<>|]+$/.test(url)) return escapeMrkdwn(label);
  const safeLabel = escapeMrkdwn(label).replace(/\|/g, '∣');
  return `<${url.replace(/&/g, '&amp;')}|${safeLabel}>`;
}
