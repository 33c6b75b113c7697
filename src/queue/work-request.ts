// What a request asks the workers to do, as carried by an approval until it is decided: a deploy (the
// modal's DeploySpec), a run (RunSpec) or another changing command. The shape is the domain's
// RequestSubject, so the approval message, the parent message and the queue agree on it.
import { z } from 'zod';
import { commandSchema } from '../domain/command-grammar';
import { deploySpecSchema } from '../domain/deploy-spec';
import { runSpecSchema } from '../domain/run-spec';
import type { RequestSubject } from '../domain/request-subject';
import { requestIdSchema, type Requester } from './payloads';
import { createdResourceSchema } from '../domain/deploy-leftovers';
import type { Producers } from './producers';
import type { RequestKind } from './request-store';

export const workRequestSchema = z.discriminatedUnion('kind', [
  z.object({ kind: z.literal('deploy'), spec: deploySpecSchema }),
  z.object({ kind: z.literal('run'), spec: runSpecSchema }),
  z.object({ kind: z.literal('command'), command: commandSchema }),
  z.object({
    kind: z.literal('cleanup'),
    sourceRequestId: requestIdSchema,
    endpointName: z.string().min(1),
    deploymentName: z.string().min(1),
    resources: z.array(createdResourceSchema).min(1).max(20),
  }),
]);
export type WorkRequest = z.output<typeof workRequestSchema>;

/** An approval's stored request, read back as a subject for its messages. */
export function subjectOfApproval(stored: unknown): RequestSubject {
  const parsed = workRequestSchema.safeParse(stored);
  if (parsed.success) return parsed.data;
  // Unreadable (an approval from an older bot): show it as a help request rather than nothing.
  return { kind: 'command', command: { verb: 'help' } };
}

export function requestKindOf(work: WorkRequest): RequestKind {
  return work.kind === 'command' || work.kind === 'cleanup' ? 'ops' : work.kind;
}

/**
 * Hands the work to its queue; the job id is derived from the request id, so doing it twice is a no-op.
 * `planFingerprint`: of the plan an approver approved, for the worker to check again before applying.
 */
export async function enqueueWork(producers: Producers, requestId: string, requester: Requester, work: WorkRequest, planFingerprint?: string): Promise<string> {
  const planned = planFingerprint ? { planFingerprint } : {};
  switch (work.kind) {
    case 'deploy':
      return producers.deploy({ requestId, requester, spec: work.spec, ...planned });
    case 'run':
      return producers.run({ requestId, requester, spec: work.spec });
    case 'command':
      return producers.ops({ requestId, requester, command: work.command, ...planned });
    case 'cleanup':
      return producers.cleanup({ requestId, requester, sourceRequestId: work.sourceRequestId, resources: work.resources });
  }
}
