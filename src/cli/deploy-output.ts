// What a deploy prints: one stderr line per step change while the plan runs (the Slack checklist's
// terminal twin), then a summary of what now exists.
import type { DeployStepEvent } from '../azureml/deploy-plan';
import type { DeployResult } from '../usecases/deploy-summary';
import { renderFields } from './text-table';

/** Outputs worth a glance; ids and datastore coordinates are long and in the JSON anyway. */
const SHOWN_OUTPUTS = ['version', 'uploaded', 'copied', 'reused', 'created'] as const;

export function deployStepLine(event: DeployStepEvent): string {
  const state = event.progress.steps[event.step];
  if (event.status === 'failed' && state?.error) return `deploy ${event.step}: failed (${state.error.code}: ${state.error.message})`;
  if (event.status !== 'done' || !state) return `deploy ${event.step}: ${event.status}`;
  const shown = SHOWN_OUTPUTS.filter((k) => state.outputs[k] !== undefined).map((k) => `${k} ${state.outputs[k]}`);
  return `deploy ${event.step}: done${shown.length > 0 ? ` (${shown.join(', ')})` : ''}`;
}

export function deploySummary(result: DeployResult): string {
  return [
    `Deployed ${result.deploymentName} to batch endpoint ${result.endpointName}.`,
    renderFields([
      ['Scoring URI', result.scoringUri],
      ['Default deployment', result.isDefault ? result.deploymentName : '(unchanged)'],
      ['Model', result.model],
      ['Code', result.code],
      ['Environment', result.environment],
      ['Compute', result.compute],
      ['Studio', result.studioUrl],
    ]),
  ].join('\n');
}
