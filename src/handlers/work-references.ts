// The data references a request names, checked against the workspaces the bot may act in before the
// request is taken: a run whose output names another subscription's workspace is refused at once, in
// the requester's words, instead of failing minutes later in the worker (which checks again, for jobs
// that reach the queue some other way).
import { parseDataReference, type DataReference } from '../domain/data-reference';
import { OutsideWorkspaceError, assertInWorkspaceScope, type WorkspaceScope } from '../domain/workspace-scope';
import type { WorkRequest } from '../queue/work-request';

export function dataReferencesOf(work: WorkRequest): DataReference[] {
  const uris: string[] = [];
  if (work.kind === 'run') {
    uris.push(work.spec.input.uri);
    if (work.spec.output) uris.push(work.spec.output.uri);
  } else if (work.kind === 'command' && work.command.verb === 'data-register') {
    uris.push(work.command.uri);
  }
  return uris.map((uri) => parseDataReference(uri));
}

/** The refusal to show when the request names a workspace outside the scope; undefined when it stays inside. */
export function outsideWorkspaceRefusal(work: WorkRequest, scope: WorkspaceScope | undefined): string | undefined {
  if (!scope) return undefined;
  try {
    for (const ref of dataReferencesOf(work)) assertInWorkspaceScope(ref, scope);
    return undefined;
  } catch (err) {
    if (err instanceof OutsideWorkspaceError) return err.message;
    throw err;
  }
}
