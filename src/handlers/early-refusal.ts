// What the bot can refuse at once, without asking Azure: a request naming another workspace's data, or
// one from a user or channel already at its cap of open requests. Everything else is checked by the
// pre-flight job; the worker's intake checks these two again when it takes the request.
import type { Requester } from '../queue/payloads';
import type { WorkRequest } from '../queue/work-request';
import type { BotDeps } from './bot-deps';
import { outsideWorkspaceRefusal } from './work-references';

/** `work`: what the command asks for; undefined for one that starts no request (look-ups, forms, help). */
export async function earlyRefusal(deps: BotDeps, work: WorkRequest | undefined, requester: Requester): Promise<{ reason: string; message: string } | undefined> {
  if (!work) return undefined;
  const outside = outsideWorkspaceRefusal(work, deps.intake.workspaceScope);
  if (outside) return { reason: 'outside-workspace', message: outside };
  const verdict = await deps.intake.pendingCaps?.check({ userId: requester.userId, channelId: requester.channelId });
  if (verdict && !verdict.ok) return { reason: 'too-many-open-requests', message: verdict.message };
  return undefined;
}
