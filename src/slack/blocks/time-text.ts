// Times and durations in messages. Absolute times use Slack's date token
// (<!date^epoch^{date_short_pretty} at {time}|fallback>) so every reader sees their own time zone;
// the fallback (UTC, ISO 8601) is what clients that cannot render the token show.

/** A moment as a Slack date token with a UTC fallback. `ms` is epoch milliseconds. */
export function slackDate(ms: number): string {
  if (!Number.isFinite(ms)) return 'unknown time';
  const seconds = Math.floor(ms / 1000);
  const fallback = new Date(seconds * 1000).toISOString().replace('.000Z', 'Z');
  return `<!date^${seconds}^{date_short_pretty} at {time}|${fallback}>`;
}

/** "850ms", "42s", "3m 05s", "2h 07m". */
export function formatDuration(ms: number): string {
  if (!Number.isFinite(ms) || ms < 0) return 'unknown';
  if (ms < 1000) return `${Math.round(ms)}ms`;
  const totalSeconds = Math.round(ms / 1000);
  if (totalSeconds < 60) return `${totalSeconds}s`;
  const minutes = Math.floor(totalSeconds / 60);
  const seconds = totalSeconds % 60;
  if (minutes < 60) return `${minutes}m ${String(seconds).padStart(2, '0')}s`;
  const hours = Math.floor(minutes / 60);
  return `${hours}h ${String(minutes % 60).padStart(2, '0')}m`;
}
