// Request ids derived from what Slack sends, so a retried delivery of the same slash command or modal
// submission maps to the same request (and so to the same queue job and approval) instead of a new one.
import { createHash } from 'node:crypto';

export function requestIdFrom(source: 'slash' | 'view' | 'action', slackId: string): string {
  const digest = createHash('sha256').update(`${source}\u0000${slackId}`).digest('base64url').slice(0, 16);
  return `r${digest.replace(/[^a-zA-Z0-9]/g, 'x')}`;
}
