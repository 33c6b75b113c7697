// Slack message timestamps: "seconds.microseconds" with six digits after the dot (defs_ts in Slack's
// OpenAPI spec, ^\d{10}\.\d{6}$). They double as message ids within a channel, so they must be unique
// and strictly increasing even when two messages land in the same microsecond.

export function createMessageClock(now: () => number): () => string {
  let lastMicros = 0n;
  return () => {
    let micros = BigInt(Math.floor(now())) * 1000n;
    if (micros <= lastMicros) micros = lastMicros + 1n;
    lastMicros = micros;
    const seconds = micros / 1_000_000n;
    const fraction = (micros % 1_000_000n).toString().padStart(6, '0');
    return `${seconds}.${fraction}`;
  };
}
