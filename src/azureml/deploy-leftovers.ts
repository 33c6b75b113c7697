// Reads, from a deploy's saved progress, what this request created: each step records `created: 'true'`
// before it issues the PUT that creates something (so a step that failed after creating its resource
// still says so), and `created: 'false'` when it found the resource already there.
import type { DeploySpec } from '../domain/deploy-spec';
import { removalOrder, type CreatedResource } from '../domain/deploy-leftovers';
import type { DeployProgress } from '../domain/deploy-plan';

export function createdResources(spec: DeploySpec, progress: DeployProgress): CreatedResource[] {
  const out: CreatedResource[] = [];
  const created = (step: keyof DeployProgress['steps']): Record<string, string> | undefined => {
    const outputs = progress.steps[step]?.outputs;
    return outputs?.created === 'true' ? outputs : undefined;
  };
  if (created('deployment')) out.push({ kind: 'deployment', endpointName: spec.endpointName, name: spec.deploymentName });
  if (created('endpoint')) out.push({ kind: 'endpoint', name: spec.endpointName });
  if (created('compute')) out.push({ kind: 'compute', name: spec.compute.name });
  for (const kind of ['code', 'model', 'environment'] as const) {
    const o = created(kind);
    if (o?.name && o.version) out.push({ kind, name: o.name, version: o.version });
  }
  return removalOrder(out);
}
