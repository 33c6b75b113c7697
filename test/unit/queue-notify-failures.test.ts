// What the notify worker makes of Slack's answers: wait, retry, repost or give up.
import { AxiosError, AxiosHeaders } from 'axios';
import { WebAPIHTTPError, WebAPIPlatformError, WebAPIRateLimitedError, WebAPIRequestError } from '@slack/web-api';
import { classifyResponseUrlFailure, classifySlackFailure } from '../../src/slack/slack-delivery';

const platform = (error: string) => new WebAPIPlatformError({ ok: false, error });

function axiosFailure(status: number | undefined, headers: Record<string, string> = {}): AxiosError {
  const config = { headers: new AxiosHeaders() };
  const response =
    status === undefined ? undefined : { status, statusText: '', headers, config, data: 'no', request: {} };
  return new AxiosError('failed', status === undefined ? 'ECONNREFUSED' : 'ERR_BAD_RESPONSE', config, {}, response);
}

describe('classifying a Slack failure', () => {
  it('waits out a 429 for its Retry-After', () => {
    expect(classifySlackFailure(new WebAPIRateLimitedError(7))).toEqual({ kind: 'rate-limited', retryAfterMs: 7_000 });
  });

  it('retries server errors, timeouts and unreachable Slack', () => {
    expect(classifySlackFailure(new WebAPIHTTPError(503, 'Service Unavailable', {}, '')).kind).toBe('transient');
    expect(classifySlackFailure(new WebAPIHTTPError(408, 'Request Timeout', {}, '')).kind).toBe('transient');
    expect(classifySlackFailure(new WebAPIRequestError(new Error('ECONNRESET'))).kind).toBe('transient');
    expect(classifySlackFailure(platform('internal_error')).kind).toBe('transient');
  });

  it('gives up on errors retrying cannot fix', () => {
    expect(classifySlackFailure(platform('msg_too_long'))).toEqual({ kind: 'permanent', reason: 'msg_too_long' });
    expect(classifySlackFailure(platform('invalid_blocks')).kind).toBe('permanent');
    expect(classifySlackFailure(new WebAPIHTTPError(400, 'Bad Request', {}, '')).kind).toBe('permanent');
  });

  it('tells a refused token apart from a failed message: no entry is retried for it', () => {
    for (const code of ['token_revoked', 'account_inactive', 'invalid_auth', 'not_authed', 'token_expired']) {
      expect(classifySlackFailure(platform(code))).toEqual({ kind: 'token-refused', reason: code });
    }
  });

  it('recognises a conversation that no longer takes the bot’s posts', () => {
    for (const code of ['is_archived', 'not_in_channel', 'channel_not_found']) {
      expect(classifySlackFailure(platform(code))).toEqual({ kind: 'conversation-gone', reason: code });
    }
  });

  it('recognises an in-place message that no longer exists', () => {
    expect(classifySlackFailure(platform('message_not_found')).kind).toBe('target-gone');
    expect(classifySlackFailure(platform('cant_update_message')).kind).toBe('target-gone');
  });
});

describe('classifying a response_url failure', () => {
  it('treats an expired or used-up response_url as final', () => {
    expect(classifyResponseUrlFailure(axiosFailure(404)).kind).toBe('permanent');
    expect(classifyResponseUrlFailure(axiosFailure(410)).kind).toBe('permanent');
  });

  it('retries when the hook is down or unreachable, and waits out its 429', () => {
    expect(classifyResponseUrlFailure(axiosFailure(502)).kind).toBe('transient');
    expect(classifyResponseUrlFailure(axiosFailure(undefined)).kind).toBe('transient');
    expect(classifyResponseUrlFailure(axiosFailure(429, { 'retry-after': '3' }))).toEqual({ kind: 'rate-limited', retryAfterMs: 3_000 });
    expect(classifyResponseUrlFailure(axiosFailure(429))).toEqual({ kind: 'rate-limited', retryAfterMs: 1_000 });
  });
});
