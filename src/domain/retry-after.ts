// A server's "try again in": the one reading of it for Azure and Slack alike. As the Azure SDK's
// throttling policy does, `retry-after-ms` and then `x-ms-retry-after-ms` (milliseconds) win over
// `Retry-After`, which is seconds or an HTTP date (RFC 9110 §10.2.3). Header names are lower case, as
// Node's HTTP client gives them.

/** The requested wait in milliseconds, or undefined without a usable hint. `now` only matters for an HTTP date. */
export function retryAfterMs(headers: Readonly<Record<string, unknown>> | undefined, now: number = Date.now()): number | undefined {
  if (!headers) return undefined;
  for (const name of ['retry-after-ms', 'x-ms-retry-after-ms']) {
    const value = textOf(headers[name]);
    if (value !== undefined && /^\d+(\.\d+)?$/.test(value)) return Math.round(Number(value));
  }
  const retryAfter = textOf(headers['retry-after']);
  if (!retryAfter) return undefined;
  if (/^\d+(\.\d+)?$/.test(retryAfter)) return Math.round(Number(retryAfter) * 1000);
  // An HTTP date names its day and month; Date.parse alone would take '-1' for a year.
  const date = /[a-z]/i.test(retryAfter) ? Date.parse(retryAfter) : Number.NaN;
  return Number.isNaN(date) ? undefined : Math.max(0, date - now);
}

function textOf(value: unknown): string | undefined {
  if (typeof value === 'number') return String(value);
  return typeof value === 'string' ? value.trim() : undefined;
}
