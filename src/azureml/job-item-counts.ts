// How many input items a finished batch scoring job scored and how many failed. A job whose items all
// failed still ends Completed when the deployment's errorThreshold allows it (-1 ignores every item
// failure; mfe.json BatchDeployment.errorThreshold), so "Completed" alone is not "it worked".
// JobBase (2022-05-01) has no field for it; the counts are read from the string map
// properties.properties (`azureml.itemsSucceeded` / `azureml.itemsFailed`), which is where our sandbox
// puts them — a guess written down in sandbox/azureml/README.md and docs/sandbox-fidelity.md. Absent
// counts mean "unknown", never zero.
import type { Job } from './resources';

export interface JobItemCounts {
  succeeded?: number;
  failed?: number;
}

function count(value: unknown): number | undefined {
  if (typeof value !== 'string' && typeof value !== 'number') return undefined;
  const n = Number(value);
  return Number.isInteger(n) && n >= 0 ? n : undefined;
}

/** Of an ARM job or a data-plane job document: both carry the string map. */
export function jobItemCounts(job: { properties: Pick<Job['properties'], 'properties'> }): JobItemCounts {
  const bag = (job.properties.properties ?? {}) as Record<string, unknown>;
  const succeeded = count(bag['azureml.itemsSucceeded']);
  const failed = count(bag['azureml.itemsFailed']);
  return { ...(succeeded !== undefined ? { succeeded } : {}), ...(failed !== undefined ? { failed } : {}) };
}
