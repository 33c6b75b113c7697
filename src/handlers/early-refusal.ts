// What the bot can refuse at once, without asking Azure: a request naming another workspace's data, or
// one from a user or channel already at its cap of open requests. Everything else is checked by the
// pre-flight job; the worker's intake checks these two again when it takes the request.
import type { Command } from '../domain/command-grammar';
import type { Requester } from '../queue/payloads';
import type { WorkRequest } from '../queue/work-request';
import type { BotDeps } from './bot-deps';
import { outsideWorkspaceRefusal } from './work-references';

const REQUESTS: ReadonlySet<Command['verb']> = new Set(['run', 'cancel', 'set-default', 'delete', 'data-register']);

export async function earlyRefusal(deps: BotDeps, cmd: Command, requester: Requester): Promise<{ reason: string; message: string } | undefined> {
  if (!REQUESTS.has(cmd.verb) || (cmd.verb === 'run' && !cmd.spec)) return undefined;
  const work: WorkRequest = cmd.verb === 'run' ? { kind: 'run', spec: cmd.spec! } : { kind: 'command', command: cmd };
  const outside = outsideWorkspaceRefusal(work, deps.intake.workspaceScope);
  if (outside) return { reason: 'outside-workspace', message: outside };
  const verdict = await deps.intake.pendingCaps?.check({ userId: requester.userId, channelId: requester.channelId });
  if (verdict && !verdict.ok) return { reason: 'too-many-open-requests', message: verdict.message };
  return undefined;
}
