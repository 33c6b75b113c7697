import { verifySlackRequest } from '@slack/bolt';
import { signedHeaders, slackSignature } from '../../sandbox/slack/request-signature';

const SECRET = '8f742231b10e8888abcd99yyyzzz85a5';
const body = 'token=xyz&team_id=T1&command=%2Fbatch-score&text=run+fraud';

function verify(headers: Record<string, string>, rawBody: string, nowMs: number): void {
  verifySlackRequest({
    signingSecret: SECRET,
    body: rawBody,
    nowMilliseconds: nowMs,
    headers: {
      'x-slack-signature': headers['X-Slack-Signature'] ?? '',
      'x-slack-request-timestamp': Number(headers['X-Slack-Request-Timestamp']),
    },
  });
}

describe('request signing', () => {
  const ts = 1_732_670_000;

  test('Bolt\'s own verifier accepts what the driver signs', () => {
    expect(() => verify(signedHeaders(SECRET, ts, body), body, ts * 1000)).not.toThrow();
  });

  test('a tampered body, another secret or a stale timestamp fail Bolt\'s verifier', () => {
    expect(() => verify(signedHeaders(SECRET, ts, body), `${body}&x=1`, ts * 1000)).toThrow(/signature mismatch/);
    expect(() => verify(signedHeaders('other-secret', ts, body), body, ts * 1000)).toThrow(/signature mismatch/);
    expect(() => verify(signedHeaders(SECRET, ts, body), body, (ts + 5 * 60 + 1) * 1000)).toThrow(/stale/);
  });

  test('signs v0:{timestamp}:{body} with HMAC-SHA256 hex', () => {
    expect(slackSignature(SECRET, ts, body)).toMatch(/^v0=[0-9a-f]{64}$/);
    expect(signedHeaders(SECRET, ts, body)['Content-Type']).toBe('application/x-www-form-urlencoded');
  });
});
