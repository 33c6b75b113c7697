// The run form (what `run` with no arguments opens): endpoint, deployment (the default or a named one),
// input kind and URI, optional output file; parsed into a RunSpec or per-field errors. The scoring
// request it leads to is the REST recipe's InputData/OutputData (see src/domain/run-spec.ts).
import type { ModalView, PlainTextOption } from '@slack/types';
import { runSpecSchema, type RunSpec } from '../../domain/run-spec';
import { SLACK_LIMITS, context as contextBlock } from '../blocks/block-kit';
import { addFormError, blockIdsOf, formBlocks, owningField, pathText, readFieldValues, type FormErrors, type FormField } from './form-fields';
import { decodeModalMetadata, encodeModalMetadata, type ModalMetadata } from './modal-metadata';
import { BATCH_SETTING_INPUTS, integerInput, option, radioInput, readValue, selectInput, textInput, viewStateValuesSchema } from './modal-inputs';

export const RUN_MODAL_CALLBACK_ID = 'run-modal';

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

/** What the form's inputs are built from. */
interface RunFormContext {
  d: Partial<RunSpec>;
  /** The endpoints as options, when they fit a select; else the endpoint is typed. */
  endpointOptions: PlainTextOption[] | undefined;
  /** "endpoint/deployment" options, when known and few enough; else the deployment is typed. */
  deploymentOptions: PlainTextOption[] | undefined;
}

/**
 * The run form's fields, in the order shown: each says its block id (also the key of its errors), its
 * input, how its value enters the RunSpec and which spec paths' errors it shows. The deployment, the
 * input kind and the input URI are read together by parseRunSubmission.
 */
const RUN_FORM = {
  endpoint: {
    blockId: 'endpoint',
    input: ({ d, endpointOptions }, blockId) =>
      endpointOptions
        ? selectInput({ blockId, label: 'Batch endpoint', options: endpointOptions, initial: d.endpointName })
        : textInput({ blockId, label: 'Batch endpoint', initial: d.endpointName, placeholder: 'mnist-batch' }),
    value: { path: ['endpointName'], as: 'text', keepEmpty: true },
    shows: ['endpointName'],
  },
  deployment: {
    blockId: 'deployment',
    input: ({ d, deploymentOptions }, blockId) =>
      deploymentOptions
        ? selectInput({
            blockId,
            label: 'Deployment',
            options: deploymentOptions,
            initial: d.deploymentName && d.endpointName ? `${d.endpointName}${SEPARATOR}${d.deploymentName}` : DEFAULT_DEPLOYMENT,
          })
        : textInput({
            blockId,
            label: 'Deployment',
            optional: true,
            initial: d.deploymentName,
            hint: "Leave empty to use the endpoint's default deployment.",
          }),
    shows: ['deploymentName'],
  },
  inputKind: {
    blockId: 'input_kind',
    input: ({ d }, blockId) =>
      radioInput({
        blockId,
        label: 'Input is',
        options: [option('A folder (UriFolder)', 'UriFolder'), option('One file (UriFile)', 'UriFile')],
        initial: d.input?.kind ?? 'UriFolder',
      }),
    shows: ['input.kind'],
  },
  inputUri: {
    blockId: 'input_uri',
    input: ({ d }, blockId) =>
      textInput({
        blockId,
        label: 'Input URI',
        initial: d.input?.uri,
        placeholder: 'azureml://datastores/workspaceblobstore/paths/mnist/',
        hint: 'azureml://datastores/<datastore>/paths/<path>, a data asset id (azureml://locations/…/data/<name>/versions/<v>), or a public https:// URL.',
      }),
    shows: ['input'],
  },
  outputUri: {
    blockId: 'output_uri',
    input: ({ d }, blockId) =>
      textInput({
        blockId,
        label: 'Output file',
        optional: true,
        initial: d.output?.uri,
        placeholder: 'azureml://datastores/workspaceblobstore/paths/results/predictions.csv',
        hint: "A new file on a datastore. Leave empty for a folder named after the job on the workspace's default datastore.",
      }),
    value: { path: ['output', 'uri'], as: 'text' },
    shows: ['output'],
  },
  // Per-job overrides of the deployment's settings (src/domain/run-settings.ts); empty keeps its value.
  // Text as typed: the shared schemas (src/domain/batch-settings.ts) turn it into numbers or say why not.
  miniBatchSize: {
    blockId: 'mini_batch_size',
    heading: "*This job's settings* (optional: empty keeps the deployment's)",
    input: ({ d }, blockId) =>
      integerInput({ blockId, ...BATCH_SETTING_INPUTS.miniBatchSize, optional: true, initial: d.settings?.miniBatchSize }),
    value: { path: ['settings', 'miniBatchSize'], as: 'text' },
    shows: ['settings.miniBatchSize'],
  },
  instanceCount: {
    blockId: 'instance_count',
    input: ({ d }, blockId) =>
      integerInput({ blockId, ...BATCH_SETTING_INPUTS.instanceCount, optional: true, initial: d.settings?.instanceCount }),
    value: { path: ['settings', 'instanceCount'], as: 'text' },
    shows: ['settings.instanceCount'],
  },
  errorThreshold: {
    blockId: 'error_threshold',
    input: ({ d }, blockId) =>
      integerInput({ blockId, ...BATCH_SETTING_INPUTS.errorThreshold, optional: true, initial: d.settings?.errorThreshold }),
    value: { path: ['settings', 'errorThreshold'], as: 'text' },
    shows: ['settings.errorThreshold'],
  },
  maxRetries: {
    blockId: 'max_retries',
    input: ({ d }, blockId) =>
      integerInput({ blockId, ...BATCH_SETTING_INPUTS.maxRetries, optional: true, initial: d.settings?.retrySettings?.maxRetries }),
    value: { path: ['settings', 'retrySettings', 'maxRetries'], as: 'text' },
    shows: ['settings.retrySettings.maxRetries'],
  },
  retryTimeout: {
    blockId: 'retry_timeout',
    input: ({ d }, blockId) =>
      textInput({ blockId, ...BATCH_SETTING_INPUTS.timeout, optional: true, initial: d.settings?.retrySettings?.timeout }),
    value: { path: ['settings', 'retrySettings', 'timeout'], as: 'text' },
    shows: ['settings.retrySettings.timeout'],
  },
  outputFileName: {
    blockId: 'output_file_name',
    input: ({ d }, blockId) =>
      textInput({
        blockId,
        label: 'Output file name',
        optional: true,
        initial: d.settings?.outputFileName,
        placeholder: 'predictions.csv',
        hint: 'Only without an output file above: the name of the results file in the job\'s output folder.',
      }),
    value: { path: ['settings', 'outputFileName'], as: 'text' },
    shows: ['settings.outputFileName'],
  },
} satisfies Record<string, FormField<RunFormContext>>;

const FIELDS: readonly FormField<RunFormContext>[] = Object.values(RUN_FORM);

export const RUN_FIELDS = blockIdsOf(RUN_FORM);
type RunField = (typeof RUN_FIELDS)[keyof typeof RUN_FIELDS];

export function buildRunModal(opts: {
  endpoints: readonly string[];
  deploymentsByEndpoint?: Readonly<Record<string, readonly string[]>>;
  defaults?: Partial<RunSpec>;
  privateMetadata: ModalMetadata;
  /** With several workspaces: the label of the one the form is for, shown at its top. */
  workspaceLabel?: string;
}): ModalView {
  const endpointOptions = opts.endpoints.slice(0, SLACK_LIMITS.selectOptions).map((e) => option(e, e));
  const context: RunFormContext = {
    d: opts.defaults ?? {},
    endpointOptions: endpointOptions.length > 0 && opts.endpoints.length <= SLACK_LIMITS.selectOptions ? endpointOptions : undefined,
    deploymentOptions: opts.deploymentsByEndpoint ? deploymentOptions(opts.deploymentsByEndpoint) : undefined,
  };
  return {
    type: 'modal',
    callback_id: RUN_MODAL_CALLBACK_ID,
    title: { type: 'plain_text', text: 'Run a scoring job' },
    submit: { type: 'plain_text', text: 'Run' },
    close: { type: 'plain_text', text: 'Cancel' },
    private_metadata: encodeModalMetadata(opts.privateMetadata),
    blocks: [
      ...(opts.workspaceLabel !== undefined ? [contextBlock([opts.workspaceLabel])] : []),
      ...formBlocks('Run a batch scoring job. Input and output use Azure ML data references.', FIELDS, context),
    ],
  };
}

export type RunSubmission =
  | { ok: true; spec: RunSpec; metadata: ModalMetadata }
  | { ok: false; errors: Partial<Record<RunField, string>> };

/** Reads a view_submission of the run form. Never throws: bad input becomes per-field errors. */
export function parseRunSubmission(stateValues: unknown, privateMetadata: string): RunSubmission {
  const metadata = decodeModalMetadata(privateMetadata);
  const state = viewStateValuesSchema.safeParse(stateValues);
  if (!metadata || !state.success) {
    return { ok: false, errors: { [RUN_FIELDS.endpoint]: 'This form could not be read; close it and open it again with the run command.' } };
  }
  const values = state.data;
  const errors: FormErrors = {};
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
  const raw: Record<string, unknown> = {
    ...(deploymentName ? { deploymentName } : {}),
    input: { kind: readValue(values, RUN_FIELDS.inputKind) || 'UriFolder', uri: inputUri },
  };
  readFieldValues(FIELDS, values, raw, errors);
  const parsed = runSpecSchema.safeParse(raw);
  if (!parsed.success) {
    for (const issue of parsed.error.issues) {
      // A data reference's short reason: the field's hint already lists the accepted forms.
      const reason = issue.code === 'custom' && typeof issue.params?.reason === 'string' ? issue.params.reason : issue.message;
      const field = owningField(FIELDS, issue.path, raw);
      if (field === undefined) addFormError(errors, RUN_FIELDS.endpoint, `${pathText(issue.path)}: ${reason}`);
      else if (errors[field] === undefined) errors[field] = reason.charAt(0).toUpperCase() + reason.slice(1);
    }
  }
  if (!parsed.success || Object.keys(errors).length > 0) return { ok: false, errors };
  return { ok: true, spec: parsed.data, metadata };
}
