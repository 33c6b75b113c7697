// What a request asks for, rendered the same way everywhere it appears (approval request, approval
// decided, the request's parent message): a one-line title and the full request as label/value fields.
// A request comes from a parsed command, from the deploy modal (a DeploySpec) or from the run modal
// (a RunSpec). Every value is escaped here, because all of it is user input.
import type { Action } from '../../domain/approval-policy';
import { describeDataReference, parseDataReference } from '../../domain/data-reference';
import { describeExistingAsset, type ExistingAsset } from '../../domain/asset-reference';
import type { DeploySpec } from '../../domain/deploy-spec';
import { describeRunSettings } from '../../domain/run-settings';
import type { RunSpec } from '../../domain/run-spec';
import { code, escapeMrkdwn, truncate } from '../mrkdwn';
import { summarizeCondaFile } from '../../domain/conda-file';
import type { RequestSubject } from '../../domain/request-subject';
import { leftoverLines } from './deploy-leftovers-message';

/** A label (our words) and a value (escaped mrkdwn) for a section field. */
export interface Field {
  label: string;
  value: string;
}

export function subjectAction(subject: RequestSubject): Action {
  // Removing is deleting: the same approval rules as `delete`.
  if (subject.kind === 'cleanup') return 'delete';
  if (subject.kind === 'deploy') return 'deploy';
  if (subject.kind === 'run') return 'run';
  return subject.command.verb;
}

function describeUri(uri: string): string {
  try {
    return describeDataReference(parseDataReference(uri));
  } catch {
    return uri; // already validated upstream; shown raw (escaped) rather than hidden if it is not
  }
}

function runTitle(spec: RunSpec): string {
  const target = spec.deploymentName ? `${code(spec.endpointName)} (deployment ${code(spec.deploymentName)})` : code(spec.endpointName);
  return `*Run* a batch scoring job on ${target}`;
}

/** One line of mrkdwn: what is asked, with names in code. */
export function subjectTitle(subject: RequestSubject): string {
  if (subject.kind === 'cleanup') {
    return `*Remove* what the failed deploy of ${code(subject.deploymentName)} to ${code(subject.endpointName)} created`;
  }
  if (subject.kind === 'deploy') {
    return `*Deploy* ${code(subject.spec.deploymentName)} to batch endpoint ${code(subject.spec.endpointName)}`;
  }
  if (subject.kind === 'run') return runTitle(subject.spec);
  const c = subject.command;
  switch (c.verb) {
    case 'deploy':
      return c.specFile ? `*Deploy* from spec file ${code(c.specFile)}` : '*Deploy* a model';
    case 'run':
      return c.spec ? runTitle(c.spec) : '*Run* a batch scoring job';
    case 'status':
      return `*Status* of job ${code(c.jobName)}`;
    case 'cancel':
      return `*Cancel* job ${code(c.jobName)}`;
    case 'jobs':
      return c.endpointName ? `*Jobs* of endpoint ${code(c.endpointName)}` : '*Jobs* of all endpoints';
    case 'endpoints':
      return '*List* batch endpoints';
    case 'show':
      return `*Show* endpoint ${code(c.endpointName)}`;
    case 'set-default':
      return `*Set default* deployment of ${code(c.endpointName)} to ${code(c.deploymentName)}`;
    case 'delete':
      return `*Delete* batch endpoint ${code(c.endpointName)} and its deployments`;
    case 'data-register':
      return `*Register data* ${code(c.name)}${c.version ? ` version ${code(c.version)}` : ''}`;
    case 'help':
      return '*Help*';
    case 'lock':
      return `*Lock* endpoint ${code(c.endpointName)}`;
    case 'unlock':
      return `*Unlock* endpoint ${code(c.endpointName)}`;
  }
}

function runFields(spec: RunSpec): Field[] {
  return [
    { label: 'Endpoint', value: code(spec.endpointName) },
    { label: 'Deployment', value: spec.deploymentName ? code(spec.deploymentName) : 'the default deployment' },
    { label: `Input (${spec.input.kind})`, value: `${escapeMrkdwn(describeUri(spec.input.uri))}\n${code(spec.input.uri)}` },
    {
      label: 'Output',
      value: spec.output ? code(spec.output.uri) : "a folder named after the job on the workspace's default datastore",
    },
    ...runSettingsFields(spec),
  ];
}

/** The job's own settings, when it overrides the deployment's (an approver sees what will run). */
function runSettingsFields(spec: RunSpec): Field[] {
  const settings = describeRunSettings(spec.settings);
  if (settings.length === 0) return [];
  return [{ label: 'Settings for this job', value: settings.map((s) => `${escapeMrkdwn(s.label)} ${code(s.value)}`).join('\n') }];
}

/** A registered or registry asset as the approver reads it; a resolved `latest` shows its version and the label. */
function existingAsset(kind: 'models' | 'environments', a: ExistingAsset): string {
  return `${a.kind === 'registry' ? `registry ${code(a.registry)}` : 'registered'} ${code(describeExistingAsset(kind, a))}`;
}

function deployFields(spec: DeploySpec): Field[] {
  const model =
    spec.model.kind === 'upload'
      ? `upload folder ${code(spec.model.localPath)} as ${code(spec.model.name)}${spec.model.type === 'mlflow_model' ? ' (MLflow model)' : ''}`
      : existingAsset('models', spec.model);
  const codeSource =
    spec.code === undefined
      ? 'none: the MLflow model is scored by Azure ML without a scoring script'
      : `${spec.code.kind === 'registered' ? `registered ${code(`${spec.code.name}:${spec.code.version}`)}` : `upload folder ${code(spec.code.localPath)} as ${code(spec.code.name)}`}, script ${code(spec.scoringScript ?? '')}`;
  const env = spec.environment;
  const environment =
    env === undefined
      ? "none: Azure ML's MLflow environment"
      : env.kind === 'image'
        ? `image ${code(env.image)} as ${code(env.name)}${env.condaFile ? ' with a conda file' : ''}`
        : existingAsset('environments', env);
  const compute =
    spec.compute.kind === 'existing'
      ? `existing ${code(spec.compute.name)}`
      : `new cluster ${code(spec.compute.name)} (${escapeMrkdwn(spec.compute.vmSize)}, ${spec.compute.minNodeCount}-${spec.compute.maxNodeCount} nodes)`;
  return [
    { label: 'Endpoint', value: code(spec.endpointName) },
    { label: 'Deployment', value: code(spec.deploymentName) },
    { label: 'Model', value: model },
    { label: 'Code', value: codeSource },
    { label: 'Environment', value: environment },
    { label: 'Compute', value: compute },
    { label: 'Instances', value: String(spec.instanceCount) },
    { label: 'Max concurrency per instance', value: String(spec.maxConcurrencyPerInstance) },
    { label: 'Mini-batch size', value: String(spec.miniBatchSize) },
    { label: 'Retries', value: `${spec.retrySettings.maxRetries}, timeout ${escapeMrkdwn(spec.retrySettings.timeout)}` },
    { label: 'Error threshold', value: spec.errorThreshold === -1 ? 'ignore all item failures (-1)' : String(spec.errorThreshold) },
    { label: 'Logging level', value: spec.loggingLevel },
    { label: 'Make default', value: spec.makeDefault ? 'yes' : 'no' },
    ...(env?.kind === 'image' && env.condaFile ? [{ label: 'Conda file', value: condaSummaryText(env.condaFile) }] : []),
    ...(spec.description ? [{ label: 'Description', value: escapeMrkdwn(spec.description) }] : []),
  ];
}

/** At most `max` items, each in code and shortened, then how many more there are. */
function boundedList(items: readonly string[], max: number): string {
  const shown = items.slice(0, max).map((item) => code(truncate(item, 60)));
  const more = items.length - shown.length;
  return more > 0 ? `${shown.join(', ')} and ${more} more` : shown.join(', ');
}

/**
 * What the environment will install, so an approver sees it (issue 12, item 8): channels, conda and pip
 * packages (bounded lists) and index URLs with any credential taken out. Bounded to fit one field.
 */
function condaSummaryText(condaFile: string): string {
  const s = summarizeCondaFile(condaFile);
  if (!s.readable) return `not readable as YAML (${condaFile.split('\n').length} lines); Azure ML will check it`;
  const lines = [
    `channels: ${s.channels.length > 0 ? boundedList(s.channels, 4) : 'none named'}`,
    `packages (${s.packages.length}): ${s.packages.length > 0 ? boundedList(s.packages, 8) : 'none'}`,
    ...(s.pipPackages.length > 0 ? [`pip (${s.pipPackages.length}): ${boundedList(s.pipPackages, 8)}`] : []),
    ...(s.indexUrls.length > 0 ? [`index URLs: ${boundedList(s.indexUrls, 3)}`] : []),
  ];
  return lines.join('\n');
}

/** The full request as fields, so an approver sees exactly what will happen. */
export function subjectFields(subject: RequestSubject): Field[] {
  if (subject.kind === 'cleanup') {
    return [
      { label: 'Will delete', value: leftoverLines(subject.resources) },
      { label: 'Created by request', value: code(subject.sourceRequestId) },
    ];
  }
  if (subject.kind === 'deploy') return deployFields(subject.spec);
  if (subject.kind === 'run') return runFields(subject.spec);
  const c = subject.command;
  switch (c.verb) {
    case 'run':
      return c.spec ? runFields(c.spec) : [];
    case 'deploy':
      return c.specFile ? [{ label: 'Spec file', value: code(c.specFile) }] : [];
    case 'status':
    case 'cancel':
      return [{ label: 'Job', value: code(c.jobName) }];
    case 'jobs':
      return c.endpointName ? [{ label: 'Endpoint', value: code(c.endpointName) }] : [];
    case 'show':
    case 'delete':
    case 'unlock':
      return [{ label: 'Endpoint', value: code(c.endpointName) }];
    case 'lock':
      return [{ label: 'Endpoint', value: code(c.endpointName) }, ...(c.reason ? [{ label: 'Reason', value: escapeMrkdwn(c.reason) }] : [])];
    case 'set-default':
      return [
        { label: 'Endpoint', value: code(c.endpointName) },
        { label: 'New default deployment', value: code(c.deploymentName) },
      ];
    case 'data-register':
      return [
        { label: 'Name', value: code(c.name) },
        { label: 'Version', value: c.version ? code(c.version) : 'next free version' },
        { label: `Data (${c.kind})`, value: `${escapeMrkdwn(describeUri(c.uri))}\n${code(c.uri)}` },
      ];
    case 'endpoints':
    case 'help':
      return [];
  }
}
