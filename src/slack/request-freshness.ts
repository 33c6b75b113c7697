// Slack's replay rule is |now - X-Slack-Request-Timestamp| <= 5 minutes. Bolt's receiver refuses only
// stale timestamps, so a request signed ahead of time would stay replayable until five minutes after its
// future timestamp; this check closes the other side before the receiver sees the request.
import type { IncomingMessage, ServerResponse } from 'node:http';

export const MAX_CLOCK_DIFFERENCE_SECONDS = 5 * 60;

/** True when the request's timestamp is further in the future than Slack's window allows. */
export function isAheadOfWindow(timestampHeader: string | string[] | undefined, nowMs: number): boolean {
  const value = Array.isArray(timestampHeader) ? timestampHeader[0] : timestampHeader;
  const seconds = Number(value);
  return Number.isFinite(seconds) && seconds - Math.floor(nowMs / 1000) > MAX_CLOCK_DIFFERENCE_SECONDS;
}

type Listener = (req: IncomingMessage, res: ServerResponse) => void;

/** Wraps a receiver's request listener: future-dated Slack requests get 401 and go no further. */
export function refuseFutureTimestamps(inner: Listener, now: () => number = Date.now): Listener {
  return (req, res) => {
    if (isAheadOfWindow(req.headers['x-slack-request-timestamp'], now())) {
      res.writeHead(401, { 'content-type': 'text/plain' });
      res.end('stale or future request timestamp');
      return;
    }
    inner(req, res);
  };
}
