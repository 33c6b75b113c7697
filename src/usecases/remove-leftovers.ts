// Removing what a failed deploy created ("Remove what this created"). Only resources the failed deploy's
// record lists are touched, whatever the request says; in an order that works (deployment, endpoint,
// cluster, then asset versions); what is already gone counts as done; one failure does not stop the rest.
import type { AzureMlClient } from '../azureml';
import { removalOrder, type CreatedResource } from '../domain/deploy-leftovers';
import { describeFailure } from './failure-report';
import type { ProblemLog } from './job-outcome';

export interface RemoveLeftoversDeps {
  azureml: {
    deployments: Pick<AzureMlClient['deployments'], 'find' | 'deleteAndWait'>;
    endpoints: Pick<AzureMlClient['endpoints'], 'find' | 'deleteAndWait'>;
    computes: Pick<AzureMlClient['computes'], 'find' | 'deleteAndWait'>;
    assets: Pick<AzureMlClient['assets'], 'deleteVersion'>;
  };
  logger?: ProblemLog;
}

export type LeftoverOutcome = 'removed' | 'already-gone' | 'failed';

export interface LeftoverRemoval {
  resource: CreatedResource;
  outcome: LeftoverOutcome;
  /** Why it failed: the service's code and message. */
  error?: string;
}

async function removeOne(az: RemoveLeftoversDeps['azureml'], r: CreatedResource): Promise<Exclude<LeftoverOutcome, 'failed'>> {
  switch (r.kind) {
    case 'deployment':
      if (!(await az.deployments.find(r.endpointName, r.name))) return 'already-gone';
      await az.deployments.deleteAndWait(r.endpointName, r.name);
      return 'removed';
    case 'endpoint':
      if (!(await az.endpoints.find(r.name))) return 'already-gone';
      await az.endpoints.deleteAndWait(r.name);
      return 'removed';
    case 'compute':
      if (!(await az.computes.find(r.name))) return 'already-gone';
      await az.computes.deleteAndWait(r.name);
      return 'removed';
    case 'code':
      return az.assets.deleteVersion('codes', r);
    case 'model':
      return az.assets.deleteVersion('models', r);
    case 'environment':
      return az.assets.deleteVersion('environments', r);
  }
}

const sameResource = (a: CreatedResource, b: CreatedResource): boolean => JSON.stringify(a) === JSON.stringify(b);

/** Removes `asked`, each only if `recorded` (what the failed deploy created) lists it; one outcome per resource. */
export async function removeLeftovers(deps: RemoveLeftoversDeps, asked: readonly CreatedResource[], recorded: readonly CreatedResource[]): Promise<LeftoverRemoval[]> {
  const outcomes: LeftoverRemoval[] = [];
  for (const resource of removalOrder(asked)) {
    // The request's list is only a request: what the failed deploy's record does not list is not touched.
    if (!recorded.some((known) => sameResource(known, resource))) {
      outcomes.push({ resource, outcome: 'failed', error: 'not something that request created (no record of it)' });
      continue;
    }
    try {
      outcomes.push({ resource, outcome: await removeOne(deps.azureml, resource) });
    } catch (err) {
      const failure = describeFailure(err);
      deps.logger?.warn({ resource, code: failure.code }, 'could not remove a leftover of a failed deploy');
      outcomes.push({ resource, outcome: 'failed', error: `${failure.code}: ${failure.message}` });
    }
  }
  return outcomes;
}
