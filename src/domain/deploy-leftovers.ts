// What a deploy that failed half-way created and left behind, so the requester can have it removed:
// only what this request created (a cluster, an endpoint or an asset version that existed before is never
// listed), in the order it is removed: the deployment before its endpoint, the endpoint before the
// cluster its deployment ran on, asset versions last (nothing refers to them any more).
import { z } from 'zod';
import { assetNameSchema, assetVersionSchema, computeNameSchema, deploymentNameSchema, endpointNameSchema } from './naming-rules';

export const createdResourceSchema = z.discriminatedUnion('kind', [
  z.object({ kind: z.literal('deployment'), endpointName: endpointNameSchema, name: deploymentNameSchema }),
  z.object({ kind: z.literal('endpoint'), name: endpointNameSchema }),
  z.object({ kind: z.literal('compute'), name: computeNameSchema }),
  z.object({ kind: z.enum(['code', 'model', 'environment']), name: assetNameSchema, version: assetVersionSchema }),
]);
export type CreatedResource = z.infer<typeof createdResourceSchema>;

export const REMOVAL_ORDER: readonly CreatedResource['kind'][] = ['deployment', 'endpoint', 'compute', 'code', 'model', 'environment'];

/** The resources in the order they can be removed. */
export function removalOrder(resources: readonly CreatedResource[]): CreatedResource[] {
  return [...resources].sort((a, b) => REMOVAL_ORDER.indexOf(a.kind) - REMOVAL_ORDER.indexOf(b.kind));
}

/** How a resource is named to people (plain text; the caller escapes or puts it in code). */
export function describeCreatedResource(r: CreatedResource): { what: string; name: string } {
  switch (r.kind) {
    case 'deployment':
      return { what: 'deployment', name: `${r.endpointName}/${r.name}` };
    case 'endpoint':
      return { what: 'batch endpoint', name: r.name };
    case 'compute':
      return { what: 'compute cluster', name: r.name };
    case 'code':
      return { what: 'code version', name: `${r.name}:${r.version}` };
    case 'model':
      return { what: 'model version', name: `${r.name}:${r.version}` };
    case 'environment':
      return { what: 'environment version', name: `${r.name}:${r.version}` };
  }
}
