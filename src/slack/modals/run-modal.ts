// The run form (what `run` with no arguments opens): endpoint, deployment (the default or a named one),
// input kind and URI, optional output file; parsed into a RunSpec or per-field errors. The scoring
// request it leads to is the REST recipe's InputData/OutputData (see src/domain/run-spec.ts).
import type { KnownBlock, ModalView, PlainTextOption } from '@slack/types';
import { runSpecSchema, type RunSpec } from '../../domain/run-spec';
import { divider, section, SLACK_LIMITS } from '../blocks/block-kit';
import { decodeModalMetadata, encodeModalMetadata, type ModalMetadata } from './modal-metadata';
import { integerInput, option, radioInput, readValue, selectInput, textInput, viewStateValuesSchema } from './modal-inputs';

export const RUN_MODAL_CALLBACK_ID = 'run-modal';

export const RUN_FIELDS = {
  endpoint: 'endpoint',
  deployment: 'deployment',
  inputKind: 'input_kind',
  inputUri: 'input_uri',
  outputUri: 'output_uri',
  // Per-job overrides of the deployment's settings (src/domain/run-settings.ts); empty keeps its value.
  miniBatchSize: 'mini_batch_size',
  instanceCount: 'instance_count',
  errorThreshold: 'error_threshold',
  maxRetries: 'max_retries',
  retryTimeout: 'retry_timeout',
  outputFileName: 'output_file_name',
} as const;
type RunField = (typeof RUN_FIELDS)[keyof typeof RUN_FIELDS];

const DEFAULT_DEPLOYMENT = '__default__';
/** Option values carry "endpoint/deployment", so a deployment picked for another endpoint is caught. */
const SEPARATOR = '/';

function deploymentOptions(byEndpoint: Readonly<Record<string, readonly string[]>>): PlainTextOption[] | undefined {
  const options: PlainTextOption[] = [option('The default deployment', DEFAULT_DEPLOYMENT)];
  for (const [endpoint, deployments] of Object.entries(byEndpoint)) {
    for (const deployment of deployments) options.push(option(`${endpoint} / ${deployment}`, `${endpoint}${SEPARATOR}${deployment}`));
  }
  // Too many to choose from (Slack shows 100 options): a text field serves better.
  return options.length <= SLACK_LIMITS.selectOptions ? options : undefined;
}

export function buildRunModal(opts: {
  endpoints: readonly string[];
  deploymentsByEndpoint?: Readonly<Record<string, readonly string[]>>;
  defaults?: Partial<RunSpec>;
  privateMetadata: ModalMetadata;
}): ModalView {
  const d = opts.defaults ?? {};
  const endpointOptions = opts.endpoints.slice(0, SLACK_LIMITS.selectOptions).map((e) => option(e, e));
  const deployOptions = opts.deploymentsByEndpoint ? deploymentOptions(opts.deploymentsByEndpoint) : undefined;
  const blocks: KnownBlock[] = [
    section('Run a batch scoring job. Input and output use Azure ML data references.'),
    endpointOptions.length > 0 && opts.endpoints.length <= SLACK_LIMITS.selectOptions
      ? selectInput({ blockId: RUN_FIELDS.endpoint, label: 'Batch endpoint', options: endpointOptions, initial: d.endpointName })
      : textInput({ blockId: RUN_FIELDS.endpoint, label: 'Batch endpoint', initial: d.endpointName, placeholder: 'mnist-batch' }),
    deployOptions
      ? selectInput({
          blockId: RUN_FIELDS.deployment,
          label: 'Deployment',
          options: deployOptions,
          initial: d.deploymentName && d.endpointName ? `${d.endpointName}${SEPARATOR}${d.deploymentName}` : DEFAULT_DEPLOYMENT,
        })
      : textInput({
          blockId: RUN_FIELDS.deployment,
          label: 'Deployment',
          optional: true,
          initial: d.deploymentName,
          hint: "Leave empty to use the endpoint's default deployment.",
        }),
    radioInput({
      blockId: RUN_FIELDS.inputKind,
      label: 'Input is',
      options: [option('A folder (UriFolder)', 'UriFolder'), option('One file (UriFile)', 'UriFile')],
      initial: d.input?.kind ?? 'UriFolder',
    }),
    textInput({
      blockId: RUN_FIELDS.inputUri,
      label: 'Input URI',
      initial: d.input?.uri,
      placeholder: 'azureml://datastores/workspaceblobstore/paths/mnist/',
      hint: 'azureml://datastores/<datastore>/paths/<path>, a data asset id (azureml://locations/…/data/<name>/versions/<v>), or a public https:// URL.',
    }),
    textInput({
      blockId: RUN_FIELDS.outputUri,
      label: 'Output file',
      optional: true,
      initial: d.output?.uri,
      placeholder: 'azureml://datastores/workspaceblobstore/paths/results/predictions.csv',
      hint: "A new file on a datastore. Leave empty for a folder named after the job on the workspace's default datastore.",
    }),
    divider(),
    section("*This job's settings* (optional: empty keeps the deployment's)"),
    integerInput({ blockId: RUN_FIELDS.miniBatchSize, label: 'Mini-batch size', optional: true, min: 1, initial: d.settings?.miniBatchSize, hint: 'Files per call to run().' }),
    integerInput({ blockId: RUN_FIELDS.instanceCount, label: 'Instance count', optional: true, min: 1, max: 1000, initial: d.settings?.instanceCount }),
    integerInput({
      blockId: RUN_FIELDS.errorThreshold,
      label: 'Error threshold',
      optional: true,
      min: -1,
      initial: d.settings?.errorThreshold,
      hint: 'Failed items tolerated before the job fails; -1 ignores all failures.',
    }),
    integerInput({ blockId: RUN_FIELDS.maxRetries, label: 'Max retries per mini-batch', optional: true, min: 0, max: 100, initial: d.settings?.retrySettings?.maxRetries }),
    textInput({ blockId: RUN_FIELDS.retryTimeout, label: 'Mini-batch timeout', optional: true, initial: d.settings?.retrySettings?.timeout, hint: 'An ISO 8601 duration: PT30S, PT5M.' }),
    textInput({
      blockId: RUN_FIELDS.outputFileName,
      label: 'Output file name',
      optional: true,
      initial: d.settings?.outputFileName,
      placeholder: 'predictions.csv',
      hint: 'Only without an output file above: the name of the results file in the job\'s output folder.',
    }),
  ];
  return {
    type: 'modal',
    callback_id: RUN_MODAL_CALLBACK_ID,
    title: { type: 'plain_text', text: 'Run a scoring job' },
    submit: { type: 'plain_text', text: 'Run' },
    close: { type: 'plain_text', text: 'Cancel' },
    private_metadata: encodeModalMetadata(opts.privateMetadata),
    blocks,
  };
}

export type RunSubmission =
  | { ok: true; spec: RunSpec; metadata: ModalMetadata }
  | { ok: false; errors: Partial<Record<RunField, string>> };

function fieldOf(path: readonly PropertyKey[]): RunField {
  const [top, sub] = path.map(String);
  if (top === 'endpointName') return RUN_FIELDS.endpoint;
  if (top === 'deploymentName') return RUN_FIELDS.deployment;
  if (top === 'input') return sub === 'kind' ? RUN_FIELDS.inputKind : RUN_FIELDS.inputUri;
  if (top === 'output') return RUN_FIELDS.outputUri;
  if (top === 'settings') {
    const setting = path.map(String)[path.length - 1];
    switch (setting) {
      case 'miniBatchSize':
        return RUN_FIELDS.miniBatchSize;
      case 'instanceCount':
        return RUN_FIELDS.instanceCount;
      case 'errorThreshold':
        return RUN_FIELDS.errorThreshold;
      case 'maxRetries':
        return RUN_FIELDS.maxRetries;
      case 'timeout':
        return RUN_FIELDS.retryTimeout;
      default:
        return RUN_FIELDS.outputFileName;
    }
  }
  return RUN_FIELDS.endpoint;
}

/** Reads a view_submission of the run form. Never throws: bad input becomes per-field errors. */
export function parseRunSubmission(stateValues: unknown, privateMetadata: string): RunSubmission {
  const metadata = decodeModalMetadata(privateMetadata);
  const state = viewStateValuesSchema.safeParse(stateValues);
  if (!metadata || !state.success) {
    return { ok: false, errors: { [RUN_FIELDS.endpoint]: 'This form could not be read; close it and open it again with the run command.' } };
  }
  const values = state.data;
  const errors: Partial<Record<RunField, string>> = {};
  const endpointName = readValue(values, RUN_FIELDS.endpoint);
  let deploymentName: string | undefined = readValue(values, RUN_FIELDS.deployment);
  if (deploymentName === '' || deploymentName === DEFAULT_DEPLOYMENT) deploymentName = undefined;
  else if (deploymentName.includes(SEPARATOR)) {
    const [owner, name] = deploymentName.split(SEPARATOR, 2);
    if (owner !== endpointName) {
      errors[RUN_FIELDS.deployment] = `Deployment ${name} belongs to endpoint ${owner}, not ${endpointName || 'the chosen endpoint'}; pick one of ${endpointName || 'its'} deployments or the default.`;
    }
    deploymentName = name;
  }
  const inputUri = readValue(values, RUN_FIELDS.inputUri);
  if (inputUri === '') errors[RUN_FIELDS.inputUri] = 'Give the input: a datastore path, a data asset id or a public https URL.';
  const outputUri = readValue(values, RUN_FIELDS.outputUri);
  // Text as typed: the shared schemas (src/domain/batch-settings.ts) turn it into numbers or say why not.
  const given = (field: RunField): string | undefined => readValue(values, field) || undefined;
  const retrySettings = {
    ...(given(RUN_FIELDS.maxRetries) !== undefined ? { maxRetries: given(RUN_FIELDS.maxRetries) } : {}),
    ...(given(RUN_FIELDS.retryTimeout) !== undefined ? { timeout: given(RUN_FIELDS.retryTimeout) } : {}),
  };
  const settings = {
    ...(given(RUN_FIELDS.miniBatchSize) !== undefined ? { miniBatchSize: given(RUN_FIELDS.miniBatchSize) } : {}),
    ...(given(RUN_FIELDS.instanceCount) !== undefined ? { instanceCount: given(RUN_FIELDS.instanceCount) } : {}),
    ...(given(RUN_FIELDS.errorThreshold) !== undefined ? { errorThreshold: given(RUN_FIELDS.errorThreshold) } : {}),
    ...(given(RUN_FIELDS.outputFileName) !== undefined ? { outputFileName: given(RUN_FIELDS.outputFileName) } : {}),
    ...(Object.keys(retrySettings).length > 0 ? { retrySettings } : {}),
  };
  const raw = {
    endpointName,
    ...(deploymentName ? { deploymentName } : {}),
    input: { kind: readValue(values, RUN_FIELDS.inputKind) || 'UriFolder', uri: inputUri },
    ...(outputUri ? { output: { uri: outputUri } } : {}),
    ...(Object.keys(settings).length > 0 ? { settings } : {}),
  };
  const parsed = runSpecSchema.safeParse(raw);
  if (!parsed.success) {
    for (const issue of parsed.error.issues) {
      const field = fieldOf(issue.path);
      // A data reference's short reason: the field's hint already lists the accepted forms.
      const reason = issue.code === 'custom' && typeof issue.params?.reason === 'string' ? issue.params.reason : issue.message;
      if (errors[field] === undefined) errors[field] = reason.charAt(0).toUpperCase() + reason.slice(1);
    }
  }
  if (!parsed.success || Object.keys(errors).length > 0) return { ok: false, errors };
  return { ok: true, spec: parsed.data, metadata };
}
