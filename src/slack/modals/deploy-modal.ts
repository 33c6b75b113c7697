// The deploy form: every choice of the REST recipe's deploy (compute, code, model, environment, batch
// endpoint, batch deployment, default) as modal fields, and the parser of its submission into a
// DeploySpec, or per-field errors for `response_action: "errors"` that say how to fix each field.
// Defaults are the recipe's, read from deploySpecSchema so the form and the schema cannot disagree.
import type { KnownBlock, ModalView } from '@slack/types';
import type { z } from 'zod';
import { describeExistingAsset, parseAssetReference } from '../../domain/asset-reference';
import { deploySpecSchema, type DeploySpec } from '../../domain/deploy-spec';
import { assetNameSchema } from '../../domain/naming-rules';
import { truncate } from '../mrkdwn';
import { divider, section, SLACK_LIMITS } from '../blocks/block-kit';
import { decodeModalMetadata, encodeModalMetadata, type ModalMetadata } from './modal-metadata';
import {
  checkboxInput,
  integerInput,
  option,
  radioInput,
  readChecked,
  readValue,
  selectInput,
  textInput,
  viewStateValuesSchema,
  type ViewStateValues,
} from './modal-inputs';

export const DEPLOY_MODAL_CALLBACK_ID = 'deploy-modal';

/** Block ids of the deploy form's fields; also the keys of the errors returned to Slack. */
export const DEPLOY_FIELDS = {
  endpoint: 'endpoint',
  deployment: 'deployment',
  description: 'description',
  model: 'model',
  modelName: 'model_name',
  modelType: 'model_type',
  code: 'code',
  codeName: 'code_name',
  scoringScript: 'scoring_script',
  environment: 'environment',
  image: 'image',
  environmentName: 'environment_name',
  condaFile: 'conda_file',
  computeMode: 'compute_mode',
  computeName: 'compute_name',
  vmSize: 'vm_size',
  minNodes: 'min_nodes',
  maxNodes: 'max_nodes',
  instanceCount: 'instance_count',
  maxConcurrency: 'max_concurrency',
  miniBatchSize: 'mini_batch_size',
  maxRetries: 'max_retries',
  timeout: 'timeout',
  errorThreshold: 'error_threshold',
  loggingLevel: 'logging_level',
  makeDefault: 'make_default',
} as const;
type DeployField = (typeof DEPLOY_FIELDS)[keyof typeof DEPLOY_FIELDS];

const F = DEPLOY_FIELDS;
const MAKE_DEFAULT_OPTION = 'make-default';
const MLFLOW_OPTION = 'mlflow_model';

/** The recipe's defaults, as the schema applies them to an absent value. */
const shape = deploySpecSchema.shape;
const RECIPE = {
  instanceCount: shape.instanceCount.parse(undefined),
  maxConcurrencyPerInstance: shape.maxConcurrencyPerInstance.parse(undefined),
  miniBatchSize: shape.miniBatchSize.parse(undefined),
  retrySettings: shape.retrySettings.parse(undefined),
  errorThreshold: shape.errorThreshold.parse(undefined),
  loggingLevel: shape.loggingLevel.parse(undefined),
  makeDefault: shape.makeDefault.parse(undefined),
  vmSize: 'STANDARD_D2_V2',
  minNodeCount: 0,
  maxNodeCount: 5,
};

export type DeployModalDefaults = Partial<DeploySpec>;

function assetText(source: DeploySpec['model'] | DeploySpec['code'] | undefined): string {
  if (!source) return '';
  if (source.kind === 'upload') return source.localPath;
  if (source.kind === 'registered' && !('label' in source && source.label !== undefined) && source.version !== undefined) return `${source.name}:${source.version}`;
  // A resolved `latest` is offered as `latest` again: deploying the same form again means the newest version.
  const asked = { ...source, ...('label' in source && source.label !== undefined ? { version: undefined } : {}) };
  return describeExistingAsset('models', asked as Exclude<DeploySpec['model'], { kind: 'upload' }>);
}

function environmentText(env: DeploySpec['environment']): string | undefined {
  if (env === undefined || env.kind === 'image') return undefined;
  const asked = env.label !== undefined ? { ...env, version: undefined } : env;
  return describeExistingAsset('environments', asked);
}

export function buildDeployModal(opts: {
  defaults?: DeployModalDefaults;
  /** Existing batch endpoints, named in the endpoint field's hint. */
  endpoints?: readonly string[];
  privateMetadata: ModalMetadata;
}): ModalView {
  const d = opts.defaults ?? {};
  const env = d.environment;
  const compute = d.compute;
  const existing = (opts.endpoints ?? []).slice(0, 30).join(', ');
  const blocks: KnownBlock[] = [
    section('Deploy a model to an Azure ML batch endpoint. Values not given here take the documented defaults.'),
    textInput({
      blockId: F.endpoint,
      label: 'Batch endpoint',
      initial: d.endpointName,
      placeholder: 'mnist-batch',
      hint: existing
        ? truncate(`Existing: ${existing}. A new name creates the endpoint (3-32 letters, digits, "-"; unique in the region).`, SLACK_LIMITS.hint)
        : 'A new name creates the endpoint: 3-32 letters, digits and "-", starting with a letter, unique in the region.',
    }),
    textInput({ blockId: F.deployment, label: 'Deployment', initial: d.deploymentName, placeholder: 'mnist-torch' }),
    textInput({ blockId: F.description, label: 'Description', optional: true, initial: d.description, maxLength: 1000 }),
    divider(),
    section('*Model and scoring code*'),
    textInput({
      blockId: F.model,
      label: 'Model',
      initial: assetText(d.model),
      placeholder: 'mnist:1  or  mnist@latest  or  models/mnist',
      hint: 'Registered: name:version or name@latest. Registry: azureml://registries/<registry>/models/<name>/versions/<v> (or /labels/latest). Or a folder to upload.',
    }),
    checkboxInput({
      blockId: F.modelType,
      label: 'MLflow model',
      optional: true,
      option: option('The uploaded folder is an MLflow model (it has an MLmodel file): no scoring code or environment needed', MLFLOW_OPTION),
      checked: d.model?.kind === 'upload' && d.model.type === 'mlflow_model',
    }),
    textInput({
      blockId: F.modelName,
      label: 'Model name (for an uploaded folder)',
      optional: true,
      initial: d.model?.kind === 'upload' ? d.model.name : undefined,
      hint: "Defaults to the folder's name.",
    }),
    textInput({
      blockId: F.code,
      label: 'Scoring code',
      optional: true,
      initial: assetText(d.code),
      placeholder: 'score-mnist:1  or  code/mnist',
      hint: 'Registered code as name:version, or a folder under the artifacts root to upload. Leave empty for an MLflow model.',
    }),
    textInput({
      blockId: F.codeName,
      label: 'Code name (for an uploaded folder)',
      optional: true,
      initial: d.code?.kind === 'upload' ? d.code.name : undefined,
      hint: "Defaults to the folder's name.",
    }),
    textInput({
      blockId: F.scoringScript,
      label: 'Scoring script',
      optional: true,
      initial: d.scoringScript,
      placeholder: 'batch_driver.py',
      hint: 'The file in the code folder that defines init() and run(mini_batch). Leave empty for an MLflow model.',
    }),
    divider(),
    section('*Environment*: give a registered or registry environment, or a container image (none for an MLflow model without scoring code).'),
    textInput({
      blockId: F.environment,
      label: 'Registered environment',
      optional: true,
      initial: environmentText(env),
      placeholder: 'mnist-env:1  or  azureml://registries/azureml/environments/<name>/labels/latest',
      hint: 'name:version, name@latest, or a registry (curated) environment as azureml://registries/<registry>/environments/<name>/versions/<v> or /labels/latest.',
    }),
    textInput({
      blockId: F.image,
      label: 'Or: container image',
      optional: true,
      initial: env?.kind === 'image' ? env.image : undefined,
      placeholder: 'mcr.microsoft.com/azureml/openmpi4.1.0-ubuntu20.04:latest',
    }),
    textInput({
      blockId: F.environmentName,
      label: 'Environment name (for an image)',
      optional: true,
      initial: env?.kind === 'image' ? env.name : undefined,
      hint: 'Defaults to <deployment>-env.',
    }),
    textInput({
      blockId: F.condaFile,
      label: 'Conda file (for an image)',
      optional: true,
      multiline: true,
      initial: env?.kind === 'image' ? env.condaFile : undefined,
      maxLength: 3000,
      hint: 'The conda.yaml content, pasted.',
    }),
    divider(),
    section('*Compute*'),
    radioInput({
      blockId: F.computeMode,
      label: 'Compute cluster',
      options: [option('Use an existing cluster', 'existing'), option('Create a new cluster', 'create')],
      initial: compute?.kind ?? 'existing',
    }),
    textInput({ blockId: F.computeName, label: 'Cluster name', initial: compute?.name, placeholder: 'batch-cluster' }),
    textInput({
      blockId: F.vmSize,
      label: 'VM size (new cluster)',
      optional: true,
      initial: compute?.kind === 'create' ? compute.vmSize : RECIPE.vmSize,
    }),
    integerInput({
      blockId: F.minNodes,
      label: 'Min nodes (new cluster)',
      optional: true,
      min: 0,
      initial: compute?.kind === 'create' ? compute.minNodeCount : RECIPE.minNodeCount,
    }),
    integerInput({
      blockId: F.maxNodes,
      label: 'Max nodes (new cluster)',
      optional: true,
      min: 1,
      initial: compute?.kind === 'create' ? compute.maxNodeCount : RECIPE.maxNodeCount,
    }),
    divider(),
    section('*Batch settings*'),
    integerInput({ blockId: F.instanceCount, label: 'Instance count', min: 1, max: 1000, initial: d.instanceCount ?? RECIPE.instanceCount }),
    integerInput({
      blockId: F.maxConcurrency,
      label: 'Max concurrency per instance',
      min: 1,
      max: 1000,
      initial: d.maxConcurrencyPerInstance ?? RECIPE.maxConcurrencyPerInstance,
    }),
    integerInput({
      blockId: F.miniBatchSize,
      label: 'Mini-batch size',
      min: 1,
      initial: d.miniBatchSize ?? RECIPE.miniBatchSize,
      hint: 'Files per call to run().',
    }),
    integerInput({
      blockId: F.maxRetries,
      label: 'Max retries per mini-batch',
      min: 0,
      max: 100,
      initial: d.retrySettings?.maxRetries ?? RECIPE.retrySettings.maxRetries,
    }),
    textInput({
      blockId: F.timeout,
      label: 'Mini-batch timeout',
      initial: d.retrySettings?.timeout ?? RECIPE.retrySettings.timeout,
      hint: 'An ISO 8601 duration: PT30S, PT5M.',
    }),
    integerInput({
      blockId: F.errorThreshold,
      label: 'Error threshold',
      min: -1,
      initial: d.errorThreshold ?? RECIPE.errorThreshold,
      hint: 'Failed items tolerated before the job fails; -1 ignores all failures.',
    }),
    selectInput({
      blockId: F.loggingLevel,
      label: 'Logging level',
      options: [option('Info', 'Info'), option('Warning', 'Warning'), option('Debug', 'Debug')],
      initial: d.loggingLevel ?? RECIPE.loggingLevel,
    }),
    checkboxInput({
      blockId: F.makeDefault,
      label: 'Default deployment',
      optional: true,
      option: option("Make this the endpoint's default deployment", MAKE_DEFAULT_OPTION),
      checked: d.makeDefault ?? RECIPE.makeDefault,
    }),
  ];
  return {
    type: 'modal',
    callback_id: DEPLOY_MODAL_CALLBACK_ID,
    title: { type: 'plain_text', text: 'Deploy a model' },
    submit: { type: 'plain_text', text: 'Deploy' },
    close: { type: 'plain_text', text: 'Cancel' },
    private_metadata: encodeModalMetadata(opts.privateMetadata),
    blocks: blocks.slice(0, SLACK_LIMITS.viewBlocks),
  };
}

export type DeploySubmission =
  | { ok: true; spec: DeploySpec; metadata: ModalMetadata }
  | { ok: false; errors: Partial<Record<DeployField, string>> };

const REGISTERED = /^([^/\\:\s]+):([^/\\:\s]+)$/;

type Errors = Partial<Record<DeployField, string>>;

/** A registered asset (name:version), a registry model (model only), or a folder to upload, from one text field and an optional name. */
function assetSource(
  what: 'model' | 'code',
  text: string,
  nameText: string,
  field: DeployField,
  nameField: DeployField,
  errors: Errors,
): Record<string, unknown> | undefined {
  if (text === '') {
    if (what === 'code') return undefined;
    errors[field] = `Give a registered ${what} as name:version, or a folder under the artifacts root to upload (also name@latest, or azureml://registries/<registry>/models/<name>/… for a registry model).`;
    return undefined;
  }
  if (what === 'model') {
    const existing = parseAssetReference('models', text);
    if (existing && !existing.ok) {
      errors[field] = existing.message;
      return undefined;
    }
    if (existing?.ok) return existing.asset;
  } else {
    const registered = REGISTERED.exec(text);
    if (registered) return { kind: 'registered', name: registered[1], version: registered[2] };
    if (text.startsWith('azureml:')) {
      errors[field] = 'Give registered code as name:version (code from a registry is not supported), or a folder to upload.';
      return undefined;
    }
  }
  if (/^([a-zA-Z]:)?[\\/]/.test(text) || text.includes('\\')) {
    errors[field] = `Give the folder relative to the artifacts root with "/" separators, such as ${what}s/mnist.`;
    return undefined;
  }
  const segments = text.split('/').filter((s) => s !== '');
  if (segments.some((s) => s === '..' || s === '.')) {
    errors[field] = 'The folder must stay inside the artifacts root: remove "." and ".." from the path.';
    return undefined;
  }
  const name = nameText !== '' ? nameText : (segments[segments.length - 1] ?? '');
  if (!assetNameSchema.safeParse(name).success) {
    errors[nameField] =
      nameText === ''
        ? `The folder's name cannot be a ${what} name; give one here (letters, digits, "-", "_", ".").`
        : `A ${what} name is 1-255 letters, digits, "-", "_" or ".", starting with a letter or digit.`;
    return undefined;
  }
  return { kind: 'upload', localPath: segments.join('/'), name };
}

function integer(values: ViewStateValues, field: DeployField, label: string, errors: Errors): number | undefined {
  const text = readValue(values, field);
  if (text === '') return undefined;
  if (!/^-?\d{1,9}$/.test(text)) {
    errors[field] = `${label} must be a whole number.`;
    return undefined;
  }
  return Number(text);
}

/** Which field a schema issue belongs to. */
function fieldOf(path: readonly PropertyKey[], raw: Record<string, unknown>): DeployField {
  const [top, sub] = path.map(String);
  const kindOf = (key: string): unknown => (raw[key] as { kind?: unknown } | undefined)?.kind;
  switch (top) {
    case 'endpointName':
      return F.endpoint;
    case 'deploymentName':
      return F.deployment;
    case 'description':
      return F.description;
    case 'model':
      return sub === 'name' && kindOf('model') === 'upload' ? F.modelName : sub === 'type' ? F.modelType : F.model;
    case 'code':
      return sub === 'name' && kindOf('code') === 'upload' ? F.codeName : F.code;
    case 'scoringScript':
      return F.scoringScript;
    case 'environment':
      if (kindOf('environment') === 'registered' || kindOf('environment') === 'registry' || kindOf('environment') === undefined) return F.environment;
      return sub === 'condaFile' ? F.condaFile : sub === 'name' || sub === 'version' ? F.environmentName : F.image;
    case 'compute':
      return sub === 'vmSize' ? F.vmSize : sub === 'minNodeCount' ? F.minNodes : sub === 'maxNodeCount' ? F.maxNodes : F.computeName;
    case 'instanceCount':
      return F.instanceCount;
    case 'maxConcurrencyPerInstance':
      return F.maxConcurrency;
    case 'miniBatchSize':
      return F.miniBatchSize;
    case 'retrySettings':
      return sub === 'timeout' ? F.timeout : F.maxRetries;
    case 'errorThreshold':
      return F.errorThreshold;
    case 'loggingLevel':
      return F.loggingLevel;
    default:
      return F.endpoint;
  }
}

function issueMessage(issue: z.core.$ZodIssue): string {
  if (issue.code === 'too_small') return `Must be at least ${String(issue.minimum)}.`;
  if (issue.code === 'too_big') return `Must be at most ${String(issue.maximum)}.`;
  const text = issue.message;
  return text.charAt(0).toUpperCase() + text.slice(1) + (text.endsWith('.') ? '' : '.');
}

/** Reads a view_submission of the deploy form. Never throws: bad input becomes per-field errors. */
export function parseDeploySubmission(stateValues: unknown, privateMetadata: string): DeploySubmission {
  const metadata = decodeModalMetadata(privateMetadata);
  const state = viewStateValuesSchema.safeParse(stateValues);
  if (!metadata || !state.success) {
    return { ok: false, errors: { [F.endpoint]: 'This form could not be read; close it and open it again with the deploy command.' } };
  }
  const values = state.data;
  const errors: Errors = {};
  const text = (field: DeployField): string => readValue(values, field);

  const modelSource = assetSource('model', text(F.model), text(F.modelName), F.model, F.modelName, errors);
  const mlflow = readChecked(values, F.modelType, MLFLOW_OPTION);
  if (mlflow && modelSource !== undefined && modelSource.kind !== 'upload') {
    errors[F.modelType] = 'This box is for an uploaded folder; a registered or registry model already says whether it is MLflow. Untick it.';
  }
  const model = modelSource?.kind === 'upload' && mlflow ? { ...modelSource, type: 'mlflow_model' } : modelSource;
  const code = assetSource('code', text(F.code), text(F.codeName), F.code, F.codeName, errors);

  let environment: Record<string, unknown> | undefined;
  const registeredEnv = text(F.environment);
  const image = text(F.image);
  if (registeredEnv !== '' && image !== '') {
    errors[F.image] = 'Give either a registered environment or an image, not both; clear one of them.';
  } else if (registeredEnv !== '') {
    const m = parseAssetReference('environments', registeredEnv);
    if (!m) errors[F.environment] = 'Write the environment as name:version or name@latest (such as mnist-env:1), or azureml://registries/<registry>/environments/<name>/labels/latest.';
    else if (!m.ok) errors[F.environment] = m.message;
    else if (text(F.condaFile) !== '') errors[F.condaFile] = 'A conda file goes with an image; a registered environment already has one.';
    else environment = m.asset;
  } else if (image !== '') {
    const deployment = text(F.deployment);
    const name = text(F.environmentName) || (deployment ? `${deployment}-env` : '');
    environment = { kind: 'image', name, image, ...(text(F.condaFile) ? { condaFile: text(F.condaFile) } : {}) };
  } else if (code !== undefined) {
    errors[F.environment] = 'Give a registered environment (name:version) or a container image below: the scoring script runs in it.';
  }

  const computeMode = text(F.computeMode) || 'existing';
  const minNodeCount = integer(values, F.minNodes, 'Min nodes', errors);
  const maxNodeCount = integer(values, F.maxNodes, 'Max nodes', errors);
  const compute =
    computeMode === 'create'
      ? {
          kind: 'create',
          name: text(F.computeName),
          ...(text(F.vmSize) ? { vmSize: text(F.vmSize) } : {}),
          ...(minNodeCount !== undefined ? { minNodeCount } : {}),
          ...(maxNodeCount !== undefined ? { maxNodeCount } : {}),
        }
      : { kind: 'existing', name: text(F.computeName) };

  const instanceCount = integer(values, F.instanceCount, 'Instance count', errors);
  const maxConcurrencyPerInstance = integer(values, F.maxConcurrency, 'Max concurrency', errors);
  const miniBatchSize = integer(values, F.miniBatchSize, 'Mini-batch size', errors);
  const maxRetries = integer(values, F.maxRetries, 'Max retries', errors);
  const errorThreshold = integer(values, F.errorThreshold, 'Error threshold', errors);

  const raw: Record<string, unknown> = {
    endpointName: text(F.endpoint),
    deploymentName: text(F.deployment),
    ...(text(F.description) ? { description: text(F.description) } : {}),
    model,
    ...(code !== undefined ? { code } : {}),
    ...(text(F.scoringScript) ? { scoringScript: text(F.scoringScript) } : {}),
    ...(environment !== undefined ? { environment } : {}),
    compute,
    ...(instanceCount !== undefined ? { instanceCount } : {}),
    ...(maxConcurrencyPerInstance !== undefined ? { maxConcurrencyPerInstance } : {}),
    ...(miniBatchSize !== undefined ? { miniBatchSize } : {}),
    retrySettings: {
      ...(maxRetries !== undefined ? { maxRetries } : {}),
      ...(text(F.timeout) ? { timeout: text(F.timeout) } : {}),
    },
    ...(errorThreshold !== undefined ? { errorThreshold } : {}),
    ...(text(F.loggingLevel) ? { loggingLevel: text(F.loggingLevel) } : {}),
    makeDefault: readChecked(values, F.makeDefault, MAKE_DEFAULT_OPTION),
  };

  const parsed = deploySpecSchema.safeParse(raw);
  if (!parsed.success) {
    for (const issue of parsed.error.issues) {
      // A field already explained by the reading above keeps that (more specific) message.
      const field = fieldOf(issue.path, raw);
      const top = String(issue.path[0] ?? '');
      // Cross-field rules (code, script, environment) name a field that may be empty on purpose.
      const crossField = issue.code === 'custom' && ['code', 'scoringScript', 'environment'].includes(top);
      if (errors[field] === undefined && (raw[top] !== undefined || crossField)) errors[field] = issueMessage(issue);
    }
  }
  if (Object.keys(errors).length > 0 || !parsed.success) {
    return { ok: false, errors: Object.keys(errors).length > 0 ? errors : { [F.endpoint]: 'The form is not complete.' } };
  }
  return { ok: true, spec: parsed.data, metadata };
}
