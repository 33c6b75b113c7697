// trigger_id: issued with each interaction, valid for 3 seconds, exchangeable for one modal
// (Slack's modal docs; views.open errors expired_trigger_id, exchanged_trigger_id, invalid_trigger_id).
import { randomBytes } from 'node:crypto';

export const TRIGGER_TTL_MS = 3000;

export type TriggerExchange = { ok: true; user: string } | { ok: false; error: 'invalid_trigger_id' | 'expired_trigger_id' | 'exchanged_trigger_id' };

export interface TriggerIds {
  issue(user: string): string;
  exchange(triggerId: string): TriggerExchange;
}

export function createTriggerIds(now: () => number): TriggerIds {
  const issued = new Map<string, { user: string; at: number; used: boolean }>();
  let counter = 0;
  return {
    issue(user) {
      counter += 1;
      // Same shape as Slack's: "12345.98765.abcd2358fdea".
      const id = `${Math.floor(now() / 1000)}${String(counter).padStart(4, '0')}.${counter}.${randomBytes(16).toString('hex')}`;
      issued.set(id, { user, at: now(), used: false });
      return id;
    },
    exchange(triggerId) {
      const entry = issued.get(triggerId);
      if (!entry) return { ok: false, error: 'invalid_trigger_id' };
      if (entry.used) return { ok: false, error: 'exchanged_trigger_id' };
      if (now() - entry.at > TRIGGER_TTL_MS) return { ok: false, error: 'expired_trigger_id' };
      entry.used = true;
      return { ok: true, user: entry.user };
    },
  };
}
