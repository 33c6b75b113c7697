// What a deploy prints: one stderr line per step change while the plan runs (the Slack checklist's
// terminal twin), then a summary of what now exists.
import type { DeployStepEvent } from '../azureml/deploy-plan';
import type { DeployProgress } from '../domain/deploy-plan';
import type { DeploySpec } from '../domain/deploy-spec';
import { renderFields } from './text-table';

/** Outputs worth a glance; ids and datastore coordinates are long and in the JSON anyway. */
const SHOWN_OUTPUTS = ['version', 'uploaded', 'reused', 'created'] as const;

export function deployStepLine(event: DeployStepEvent): string {
  const state = event.progress.steps[event.step];
  if (event.status === 'failed' && state?.error) return `deploy ${event.step}: failed (${state.error.code}: ${state.error.message})`;
  if (event.status !== 'done' || !state) return `deploy ${event.step}: ${event.status}`;
  const shown = SHOWN_OUTPUTS.filter((k) => state.outputs[k] !== undefined).map((k) => `${k} ${state.outputs[k]}`);
  return `deploy ${event.step}: done${shown.length > 0 ? ` (${shown.join(', ')})` : ''}`;
}

export interface DeployResult {
  endpointName: string;
  deploymentName: string;
  scoringUri?: string;
  /** The deployment is now the endpoint's default. */
  isDefault: boolean;
  model?: string;
  code?: string;
  environment?: string;
  compute?: string;
  steps: Record<string, { status: string; outputs: Record<string, string> }>;
}

const asset = (o: Record<string, string> | undefined): string | undefined => (o?.name && o.version ? `${o.name}:${o.version}` : o?.name);

export function deployResult(spec: DeploySpec, progress: DeployProgress): DeployResult {
  const s = progress.steps;
  const scoringUri = s.endpoint?.outputs.scoringUri;
  const result: DeployResult = {
    endpointName: spec.endpointName,
    deploymentName: spec.deploymentName,
    isDefault: spec.makeDefault && s.default?.status === 'done',
    steps: Object.fromEntries(Object.entries(s).map(([name, st]) => [name, { status: st?.status ?? 'pending', outputs: { ...(st?.outputs ?? {}) } }])),
  };
  if (scoringUri) result.scoringUri = scoringUri;
  const model = asset(s.model?.outputs);
  const code = asset(s.code?.outputs);
  const environment = asset(s.environment?.outputs);
  if (model) result.model = model;
  if (code) result.code = code;
  if (environment) result.environment = environment;
  if (s.compute?.outputs.name) result.compute = s.compute.outputs.name;
  return result;
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
    ]),
  ].join('\n');
}
