// The one place that builds a Slack WebClient. @slack/web-api retries failed calls and waits out 429s
// by itself unless told not to; our retries live in the notify queue (src/queue/notify-drain.ts),
// which re-schedules the job instead of holding a worker, so the client's own are turned off — a
// call is tried once here, and a 429 comes back as WebAPIRateLimitedError carrying Retry-After.
import { LogLevel, WebClient, type Logger as SlackLogger, type WebClientOptions } from '@slack/web-api';
import type { Logger } from 'pino';

export interface SlackClientOptions {
  /** The bot token (xoxb-…). Never logged: WebClient redacts it from its debug output too. */
  token: string;
  /** Base URL of the Web API, ending in '/'; the sandbox stand-in's apiUrl in tests and the demo. */
  slackApiUrl?: string;
  logger: Logger;
  /** Per-call timeout in ms (default 10 s), so a hung connection cannot hold a notify job. */
  timeoutMs?: number;
}

export function createSlackClient(opts: SlackClientOptions): WebClient {
  return new WebClient(opts.token, {
    ...(opts.slackApiUrl ? { slackApiUrl: withTrailingSlash(opts.slackApiUrl) } : {}),
    logger: slackLoggerFrom(opts.logger.child({ component: 'slack-web-api' })),
    retryConfig: { retries: 0 },
    rejectRateLimitedCalls: true,
    timeout: opts.timeoutMs ?? 10_000,
  });
}

/**
 * Options for the Bolt app's own client, which makes the calls people wait on: conversations.info and
 * usergroups.users.list inside an acknowledgement, views.open with a 3-second trigger_id, auth.test for
 * /readyz. WebClient's defaults retry for about 30 minutes with no timeout and, on a 429, pause every
 * queued call until Retry-After (@slack/web-api retry-policies.ts tenRetriesInAboutThirtyMinutes;
 * WebClient.ts rejectRateLimitedCalls) — an approver's click or /readyz would hang behind them. Here a
 * call gets a timeout and one quick retry, and a 429 comes back at once as WebAPIRateLimitedError.
 */
export function botClientOptions(opts: { slackApiUrl?: string; timeoutMs?: number }): WebClientOptions {
  return {
    ...(opts.slackApiUrl ? { slackApiUrl: withTrailingSlash(opts.slackApiUrl) } : {}),
    timeout: opts.timeoutMs ?? 2_500,
    retryConfig: { retries: 1, factor: 1, minTimeout: 200, maxTimeout: 200, randomize: false },
    rejectRateLimitedCalls: true,
  };
}

// WebClient joins slackApiUrl and the method name without a separator.
function withTrailingSlash(url: string): string {
  return url.endsWith('/') ? url : `${url}/`;
}

/** Adapts pino to @slack/logger's interface, so the client's messages land in the bot's one log. */
function slackLoggerFrom(logger: Logger): SlackLogger {
  let level: LogLevel = LogLevel.INFO;
  const text = (msg: unknown[]): string => msg.map((m) => (typeof m === 'string' ? m : JSON.stringify(m))).join(' ');
  return {
    debug: (...msg) => logger.debug(text(msg)),
    info: (...msg) => logger.info(text(msg)),
    warn: (...msg) => logger.warn(text(msg)),
    error: (...msg) => logger.error(text(msg)),
    setLevel: (l) => {
      level = l;
    },
    getLevel: () => level,
    setName: () => undefined,
  };
}
