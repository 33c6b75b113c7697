// Replies to the read-only commands about endpoints: `endpoints` (the list) and `show <endpoint>`
// (its deployments, which one is the default, its scoring URI). A workspace can have many endpoints;
// lines are packed into sections and cut with an "…and N more" rather than breaking the 50-block limit.
import type { DeploymentSummary, EndpointSummary } from '../../usecases/endpoint-summary';
import { code, escapeMrkdwn, link } from '../mrkdwn';
import { context, fieldSections, header, linesToSections, message, section, SLACK_LIMITS, type SlackMessage } from './block-kit';

/** What the list shows of an endpoint summary (src/usecases/endpoint-summary.ts). */
type EndpointLine = Pick<EndpointSummary, 'name' | 'defaultDeployment' | 'provisioningState' | 'scoringUri'>;
type DeploymentLine = Pick<DeploymentSummary, 'name' | 'provisioningState' | 'instanceCount' | 'compute' | 'model'>;

function stateBadge(state: string | undefined): string {
  if (!state) return '';
  const emoji = state === 'Succeeded' ? ':large_green_circle:' : state === 'Failed' ? ':red_circle:' : ':large_yellow_circle:';
  return ` ${emoji} ${escapeMrkdwn(state)}`;
}

export function buildEndpointsListMessage(view: { endpoints: readonly EndpointLine[] }): SlackMessage {
  if (view.endpoints.length === 0) {
    return message('No batch endpoints yet', [section('No batch endpoints in this workspace yet. Create one with `deploy`.')]);
  }
  const lines = view.endpoints.map(
    (e) =>
      `• ${code(e.name)}${stateBadge(e.provisioningState)}${e.defaultDeployment ? ` · default ${code(e.defaultDeployment)}` : ' · no default deployment'}`,
  );
  return message(`${view.endpoints.length} batch endpoint(s)`, [
    header(`Batch endpoints (${view.endpoints.length})`),
    ...linesToSections(lines, SLACK_LIMITS.messageBlocks - 2),
    context(['`show <endpoint>` for deployments and the scoring URI.']),
  ]);
}

export function buildEndpointDetailsMessage(view: {
  endpoint: EndpointLine & Pick<EndpointSummary, 'description' | 'studioUrl'>;
  deployments: readonly DeploymentLine[];
}): SlackMessage {
  const e = view.endpoint;
  const lines = view.deployments.map((d) => {
    const parts = [`• ${code(d.name)}${d.name === e.defaultDeployment ? ' *(default)*' : ''}${stateBadge(d.provisioningState)}`];
    if (d.instanceCount !== undefined) parts.push(`${d.instanceCount} instance(s)`);
    if (d.compute) parts.push(`compute ${code(d.compute)}`);
    if (d.model) parts.push(`model ${code(d.model)}`);
    return parts.join(' · ');
  });
  return message(`Batch endpoint ${escapeMrkdwn(e.name)}`, [
    header(`Batch endpoint ${e.name}`),
    ...(e.description ? [section(escapeMrkdwn(e.description))] : []),
    ...fieldSections([
      { label: 'State', value: e.provisioningState ? escapeMrkdwn(e.provisioningState) : 'unknown' },
      { label: 'Default deployment', value: e.defaultDeployment ? code(e.defaultDeployment) : 'none' },
      { label: 'Scoring URI', value: e.scoringUri ? code(e.scoringUri) : 'not available' },
      ...(e.studioUrl ? [{ label: 'Studio', value: link(e.studioUrl, 'Open in Azure ML studio') }] : []),
    ]),
    section(`*Deployments (${view.deployments.length})*`),
    ...(lines.length > 0 ? linesToSections(lines, SLACK_LIMITS.messageBlocks - 10) : [section('_none yet_')]),
  ]);
}
