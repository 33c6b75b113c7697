// Slack's request signing ("Verifying requests from Slack"): basestring `v0:{timestamp}:{raw body}`,
// HMAC-SHA256 keyed with the app's signing secret, hex, sent as `X-Slack-Signature: v0=<hex>` with
// `X-Slack-Request-Timestamp` in whole seconds. Bolt's receivers verify exactly this
// (@slack/bolt dist/receivers/verify-request.js).
import { createHmac } from 'node:crypto';

export function slackSignature(signingSecret: string, timestampSec: number, rawBody: string): string {
  return `v0=${createHmac('sha256', signingSecret).update(`v0:${timestampSec}:${rawBody}`).digest('hex')}`;
}

export function signedHeaders(signingSecret: string, timestampSec: number, rawBody: string): Record<string, string> {
  return {
    'Content-Type': 'application/x-www-form-urlencoded',
    'X-Slack-Request-Timestamp': String(timestampSec),
    'X-Slack-Signature': slackSignature(signingSecret, timestampSec, rawBody),
  };
}
