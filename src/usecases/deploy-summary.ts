// What is said about a deploy, everywhere: the checklist of its steps while the plan runs (Slack's
// in-place message, the CLI's stderr lines) and, once done, what now exists (Slack's final reply, the CLI's
// summary and JSON). Assets are named `name:version`, as in the endpoint summaries. Pure: no I/O.
import { plannedDeploySteps, type DeployProgress } from '../domain/deploy-plan';
import type { DeploySpec } from '../domain/deploy-spec';
import { studioEndpointLink, type WorkspaceLinks } from './studio-links';

export type DeployStepStatus = 'pending' | 'running' | 'done' | 'failed';

export interface DeployChecklistStep {
  name: string;
  status: DeployStepStatus;
  /** A short result or reason ("version 3, 1 uploaded, 2 copied, 9 unchanged", an error code). */
  detail?: string;
}

/** Every step the plan will run for this spec, in order, with its state so far. */
export function deployChecklist(spec: DeploySpec, progress: DeployProgress): DeployChecklistStep[] {
  return plannedDeploySteps(spec).map((name) => {
    const state = progress.steps[name];
    const detail = state?.status === 'failed' ? state.error?.code : stepDetail(state?.outputs ?? {});
    return { name, status: state?.status ?? 'pending', ...(detail ? { detail } : {}) };
  });
}

/**
 * A done step in a few words: the asset's version and what its upload did (a redeploy copies the files an
 * earlier version holds within the storage account instead of sending them), else the resource's name.
 */
function stepDetail(outputs: Readonly<Record<string, string>>): string | undefined {
  const files =
    outputs.reused === 'true'
      ? 'already registered'
      : outputs.uploaded !== undefined
        ? [`${outputs.uploaded} uploaded`, ...(outputs.copied && outputs.copied !== '0' ? [`${outputs.copied} copied`] : []), `${outputs.skipped ?? 0} unchanged`].join(', ')
        : undefined;
  const parts = [outputs.version && `version ${outputs.version}`, files].filter((p): p is string => Boolean(p));
  return parts.length > 0 ? parts.join(', ') : outputs.name;
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
  /** The endpoint's studio page. */
  studioUrl?: string;
  steps: Record<string, { status: string; outputs: Record<string, string> }>;
}

const asset = (o: Record<string, string> | undefined): string | undefined => (o?.name && o.version ? `${o.name}:${o.version}` : o?.name);

/** What a finished deploy made; with `links`, the endpoint's studio page too. */
export function deployResult(spec: DeploySpec, progress: DeployProgress, links?: WorkspaceLinks): DeployResult {
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
  if (links) result.studioUrl = studioEndpointLink(links, spec.endpointName);
  return result;
}
