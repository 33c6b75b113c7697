// The deploy form: every choice of the REST recipe's deploy (compute, code, model, environment, batch
// endpoint, batch deployment, default) as modal fields, and the parser of its submission into a
// DeploySpec, or per-field errors for `response_action: "errors"` that say how to fix each field.
// Defaults are the recipe's, read from deploySpecSchema so the form and the schema cannot disagree.
import type { ModalView } from '@slack/types';
import type { z } from 'zod';
import { describeExistingAsset, parseAssetReference } from '../../domain/asset-reference';
import { deploySpecSchema, type DeploySpec } from '../../domain/deploy-spec';
import { assetNameSchema } from '../../domain/naming-rules';
import { truncate } from '../mrkdwn';
import { SLACK_LIMITS, context as contextBlock } from '../blocks/block-kit';
import { decodeModalMetadata, encodeModalMetadata, type ModalMetadata } from './modal-metadata';
import { BATCH_SETTING_INPUTS, checkboxInput, integerInput, option, radioInput, readChecked, readValue, selectInput, textInput, viewStateValuesSchema } from './modal-inputs';
import { addFormError, blockIdsOf, formBlocks, owningField, pathText, readFieldValues, readInteger, type FormErrors, type FormField } from './form-fields';

export const DEPLOY_MODAL_CALLBACK_ID = 'deploy-modal';

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

/** What the form's inputs are built from. */
interface DeployFormContext {
  d: DeployModalDefaults;
  env: DeploySpec['environment'];
  compute: DeploySpec['compute'] | undefined;
  /** Existing endpoint names, for the endpoint field's hint. */
  existing: string;
}

type Raw = Readonly<Record<string, unknown>>;
const kindOf = (raw: Raw, key: string): unknown => (raw[key] as { kind?: unknown } | undefined)?.kind;
const isImage = (raw: Raw): boolean => kindOf(raw, 'environment') === 'image';

/**
 * The deploy form's fields, in the order shown: each says its block id (also the key of its errors), its
 * input, how its value enters the DeploySpec and which spec paths' errors it shows. Fields without
 * `value` are read together by parseDeploySubmission: an asset and its name, the environment, the compute.
 */
const DEPLOY_FORM = {
  endpoint: {
    blockId: 'endpoint',
    input: ({ d, existing }, blockId) =>
      textInput({
        blockId,
        label: 'Batch endpoint',
        initial: d.endpointName,
        placeholder: 'mnist-batch',
        hint: existing
          ? truncate(`Existing: ${existing}. A new name creates the endpoint (3-32 letters, digits, "-"; unique in the region).`, SLACK_LIMITS.hint)
          : 'A new name creates the endpoint: 3-32 letters, digits and "-", starting with a letter, unique in the region.',
      }),
    value: { path: ['endpointName'], as: 'text', keepEmpty: true },
    shows: ['endpointName'],
  },
  deployment: {
    blockId: 'deployment',
    input: ({ d }, blockId) => textInput({ blockId, label: 'Deployment', initial: d.deploymentName, placeholder: 'mnist-torch' }),
    value: { path: ['deploymentName'], as: 'text', keepEmpty: true },
    shows: ['deploymentName'],
  },
  description: {
    blockId: 'description',
    input: ({ d }, blockId) => textInput({ blockId, label: 'Description', optional: true, initial: d.description, maxLength: 1000 }),
    value: { path: ['description'], as: 'text' },
    shows: ['description'],
  },
  model: {
    blockId: 'model',
    heading: '*Model and scoring code*',
    input: ({ d }, blockId) =>
      textInput({
        blockId,
        label: 'Model',
        initial: assetText(d.model),
        placeholder: 'mnist:1  or  mnist@latest  or  models/mnist',
        hint: 'Registered: name:version or name@latest. Registry: azureml://registries/<registry>/models/<name>/versions/<v> (or /labels/latest). Or a folder to upload.',
      }),
    shows: ['model'],
  },
  modelType: {
    blockId: 'model_type',
    input: ({ d }, blockId) =>
      checkboxInput({
        blockId,
        label: 'MLflow model',
        optional: true,
        option: option('The uploaded folder is an MLflow model (it has an MLmodel file): no scoring code or environment needed', MLFLOW_OPTION),
        checked: d.model?.kind === 'upload' && d.model.type === 'mlflow_model',
      }),
    shows: ['model.type'],
  },
  modelName: {
    blockId: 'model_name',
    input: ({ d }, blockId) =>
      textInput({
        blockId,
        label: 'Model name (for an uploaded folder)',
        optional: true,
        initial: d.model?.kind === 'upload' ? d.model.name : undefined,
        hint: "Defaults to the folder's name.",
      }),
    shows: ['model.name'],
    showsWhen: (raw) => kindOf(raw, 'model') === 'upload',
  },
  code: {
    blockId: 'code',
    input: ({ d }, blockId) =>
      textInput({
        blockId,
        label: 'Scoring code',
        optional: true,
        initial: assetText(d.code),
        placeholder: 'score-mnist:1  or  code/mnist',
        hint: 'Registered code as name:version, or a folder under the artifacts root to upload. Leave empty for an MLflow model.',
      }),
    shows: ['code'],
  },
  codeName: {
    blockId: 'code_name',
    input: ({ d }, blockId) =>
      textInput({
        blockId,
        label: 'Code name (for an uploaded folder)',
        optional: true,
        initial: d.code?.kind === 'upload' ? d.code.name : undefined,
        hint: "Defaults to the folder's name.",
      }),
    shows: ['code.name'],
    showsWhen: (raw) => kindOf(raw, 'code') === 'upload',
  },
  scoringScript: {
    blockId: 'scoring_script',
    input: ({ d }, blockId) =>
      textInput({
        blockId,
        label: 'Scoring script',
        optional: true,
        initial: d.scoringScript,
        placeholder: 'batch_driver.py',
        hint: 'The file in the code folder that defines init() and run(mini_batch). Leave empty for an MLflow model.',
      }),
    value: { path: ['scoringScript'], as: 'text' },
    shows: ['scoringScript'],
  },
  environment: {
    blockId: 'environment',
    heading: '*Environment*: give a registered or registry environment, or a container image (none for an MLflow model without scoring code).',
    input: ({ env }, blockId) =>
      textInput({
        blockId,
        label: 'Registered environment',
        optional: true,
        initial: environmentText(env),
        placeholder: 'mnist-env:1  or  azureml://registries/azureml/environments/<name>/labels/latest',
        hint: 'name:version, name@latest, or a registry (curated) environment as azureml://registries/<registry>/environments/<name>/versions/<v> or /labels/latest.',
      }),
    shows: ['environment'],
    showsWhen: (raw) => !isImage(raw),
  },
  image: {
    blockId: 'image',
    input: ({ env }, blockId) =>
      textInput({
        blockId,
        label: 'Or: container image',
        optional: true,
        initial: env?.kind === 'image' ? env.image : undefined,
        placeholder: 'mcr.microsoft.com/azureml/openmpi4.1.0-ubuntu20.04:latest',
      }),
    shows: ['environment'],
    showsWhen: isImage,
  },
  environmentName: {
    blockId: 'environment_name',
    input: ({ env }, blockId) =>
      textInput({
        blockId,
        label: 'Environment name (for an image)',
        optional: true,
        initial: env?.kind === 'image' ? env.name : undefined,
        hint: 'Defaults to <deployment>-env.',
      }),
    shows: ['environment.name', 'environment.version'],
    showsWhen: isImage,
  },
  condaFile: {
    blockId: 'conda_file',
    input: ({ env }, blockId) =>
      textInput({
        blockId,
        label: 'Conda file (for an image)',
        optional: true,
        multiline: true,
        initial: env?.kind === 'image' ? env.condaFile : undefined,
        maxLength: 3000,
        hint: 'The conda.yaml content, pasted.',
      }),
    shows: ['environment.condaFile'],
    showsWhen: isImage,
  },
  computeMode: {
    blockId: 'compute_mode',
    heading: '*Compute*',
    input: ({ compute }, blockId) =>
      radioInput({
        blockId,
        label: 'Compute cluster',
        options: [option('Use an existing cluster', 'existing'), option('Create a new cluster', 'create')],
        initial: compute?.kind ?? 'existing',
      }),
    shows: [],
  },
  computeName: {
    blockId: 'compute_name',
    input: ({ compute }, blockId) => textInput({ blockId, label: 'Cluster name', initial: compute?.name, placeholder: 'batch-cluster' }),
    shows: ['compute'],
  },
  vmSize: {
    blockId: 'vm_size',
    input: ({ compute }, blockId) =>
      textInput({ blockId, label: 'VM size (new cluster)', optional: true, initial: compute?.kind === 'create' ? compute.vmSize : RECIPE.vmSize }),
    shows: ['compute.vmSize'],
  },
  minNodes: {
    blockId: 'min_nodes',
    input: ({ compute }, blockId) =>
      integerInput({
        blockId,
        label: 'Min nodes (new cluster)',
        optional: true,
        min: 0,
        initial: compute?.kind === 'create' ? compute.minNodeCount : RECIPE.minNodeCount,
      }),
    shows: ['compute.minNodeCount'],
  },
  maxNodes: {
    blockId: 'max_nodes',
    input: ({ compute }, blockId) =>
      integerInput({
        blockId,
        label: 'Max nodes (new cluster)',
        optional: true,
        min: 1,
        initial: compute?.kind === 'create' ? compute.maxNodeCount : RECIPE.maxNodeCount,
      }),
    shows: ['compute.maxNodeCount'],
  },
  instanceCount: {
    blockId: 'instance_count',
    heading: '*Batch settings*',
    input: ({ d }, blockId) =>
      integerInput({ blockId, ...BATCH_SETTING_INPUTS.instanceCount, initial: d.instanceCount ?? RECIPE.instanceCount }),
    value: { path: ['instanceCount'], as: 'integer', named: 'Instance count' },
    shows: ['instanceCount'],
  },
  maxConcurrency: {
    blockId: 'max_concurrency',
    input: ({ d }, blockId) =>
      integerInput({
        blockId,
        label: 'Max concurrency per instance',
        min: 1,
        max: 1000,
        initial: d.maxConcurrencyPerInstance ?? RECIPE.maxConcurrencyPerInstance,
      }),
    value: { path: ['maxConcurrencyPerInstance'], as: 'integer', named: 'Max concurrency' },
    shows: ['maxConcurrencyPerInstance'],
  },
  miniBatchSize: {
    blockId: 'mini_batch_size',
    input: ({ d }, blockId) =>
      integerInput({ blockId, ...BATCH_SETTING_INPUTS.miniBatchSize, initial: d.miniBatchSize ?? RECIPE.miniBatchSize }),
    value: { path: ['miniBatchSize'], as: 'integer', named: 'Mini-batch size' },
    shows: ['miniBatchSize'],
  },
  maxRetries: {
    blockId: 'max_retries',
    input: ({ d }, blockId) =>
      integerInput({ blockId, ...BATCH_SETTING_INPUTS.maxRetries, initial: d.retrySettings?.maxRetries ?? RECIPE.retrySettings.maxRetries }),
    value: { path: ['retrySettings', 'maxRetries'], as: 'integer', named: 'Max retries' },
    shows: ['retrySettings'],
  },
  timeout: {
    blockId: 'timeout',
    input: ({ d }, blockId) =>
      textInput({ blockId, ...BATCH_SETTING_INPUTS.timeout, initial: d.retrySettings?.timeout ?? RECIPE.retrySettings.timeout }),
    value: { path: ['retrySettings', 'timeout'], as: 'text' },
    shows: ['retrySettings.timeout'],
  },
  errorThreshold: {
    blockId: 'error_threshold',
    input: ({ d }, blockId) =>
      integerInput({ blockId, ...BATCH_SETTING_INPUTS.errorThreshold, initial: d.errorThreshold ?? RECIPE.errorThreshold }),
    value: { path: ['errorThreshold'], as: 'integer', named: 'Error threshold' },
    shows: ['errorThreshold'],
  },
  loggingLevel: {
    blockId: 'logging_level',
    input: ({ d }, blockId) =>
      selectInput({
        blockId,
        label: 'Logging level',
        options: [option('Info', 'Info'), option('Warning', 'Warning'), option('Debug', 'Debug')],
        initial: d.loggingLevel ?? RECIPE.loggingLevel,
      }),
    value: { path: ['loggingLevel'], as: 'text' },
    shows: ['loggingLevel'],
  },
  makeDefault: {
    blockId: 'make_default',
    input: ({ d }, blockId) =>
      checkboxInput({
        blockId,
        label: 'Default deployment',
        optional: true,
        option: option("Make this the endpoint's default deployment", MAKE_DEFAULT_OPTION),
        checked: d.makeDefault ?? RECIPE.makeDefault,
      }),
    value: { path: ['makeDefault'], as: 'checked', option: MAKE_DEFAULT_OPTION },
    shows: ['makeDefault'],
  },
} satisfies Record<string, FormField<DeployFormContext>>;

const FIELDS: readonly FormField<DeployFormContext>[] = Object.values(DEPLOY_FORM);

/** Block ids of the deploy form's fields; also the keys of the errors returned to Slack. */
export const DEPLOY_FIELDS = blockIdsOf(DEPLOY_FORM);
type DeployField = (typeof DEPLOY_FIELDS)[keyof typeof DEPLOY_FIELDS];
const F = DEPLOY_FIELDS;

export function buildDeployModal(opts: {
  defaults?: DeployModalDefaults;
  /** Existing batch endpoints, named in the endpoint field's hint. */
  endpoints?: readonly string[];
  privateMetadata: ModalMetadata;
  /** With several workspaces: the label of the one the form is for, shown at its top. */
  workspaceLabel?: string;
}): ModalView {
  const d = opts.defaults ?? {};
  const context: DeployFormContext = { d, env: d.environment, compute: d.compute, existing: (opts.endpoints ?? []).slice(0, 30).join(', ') };
  const blocks = [
    ...(opts.workspaceLabel !== undefined ? [contextBlock([opts.workspaceLabel])] : []),
    ...formBlocks('Deploy a model to an Azure ML batch endpoint. Values not given here take the documented defaults.', FIELDS, context),
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

type Errors = FormErrors;

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
  const minNodeCount = readInteger(values, F.minNodes, 'Min nodes', errors);
  const maxNodeCount = readInteger(values, F.maxNodes, 'Max nodes', errors);
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

  // The fields that map one-to-one are read from their declarations; retrySettings is always there so
  // its defaults come from the schema.
  const raw: Record<string, unknown> = {
    model,
    ...(code !== undefined ? { code } : {}),
    ...(environment !== undefined ? { environment } : {}),
    compute,
    retrySettings: {},
  };
  readFieldValues(FIELDS, values, raw, errors);

  const parsed = deploySpecSchema.safeParse(raw);
  if (!parsed.success) {
    for (const issue of parsed.error.issues) {
      const field = owningField(FIELDS, issue.path, raw);
      if (field === undefined) {
        addFormError(errors, F.endpoint, `${pathText(issue.path)}: ${issueMessage(issue)}`);
        continue;
      }
      // A field already explained by the reading above keeps that (more specific) message.
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
