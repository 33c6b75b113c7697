// What the bot delivered to Slack, read from the stand-in's call log: which posts succeeded, and whether
// any message went out twice (the same text and blocks posted to the same thread of the same channel).
import type { CallLogEntry, SlackStandIn } from '../../sandbox/slack';

export function successfulPosts(slack: SlackStandIn): CallLogEntry[] {
  return slack.callLog.filter((c) => c.method === 'chat.postMessage' && c.ok);
}

/** Posts whose (channel, thread, text) was already posted successfully before: each is a duplicate. */
export function duplicatePosts(slack: SlackStandIn): CallLogEntry[] {
  const seen = new Set<string>();
  const dups: CallLogEntry[] = [];
  for (const call of successfulPosts(slack)) {
    const key = JSON.stringify([call.args.channel, call.args.thread_ts ?? null, call.args.text, call.args.blocks ?? null]);
    if (seen.has(key)) dups.push(call);
    seen.add(key);
  }
  return dups;
}

/** How many calls Slack answered with each HTTP status (200, 429, 500). */
export function statusesOf(slack: SlackStandIn, method?: string): Record<number, number> {
  const out: Record<number, number> = {};
  for (const call of slack.callLog) {
    if (method && call.method !== method) continue;
    out[call.status] = (out[call.status] ?? 0) + 1;
  }
  return out;
}
