// What a user asks for when they deploy a model to a batch endpoint: the shared shape behind the
// deploy modal, the CLI and the deploy queue's payload. Defaults are the documented REST recipe's
// (batch-score-rest-recipe: instanceCount 1, maxConcurrencyPerInstance 4, miniBatchSize 5,
// retrySettings {maxRetries 3, timeout PT30S}, errorThreshold 10, loggingLevel info).
import { z } from 'zod';
import {
  errorThresholdSchema,
  instanceCountSchema,
  isoDurationSchema,
  maxConcurrencyPerInstanceSchema,
  maxRetriesSchema,
  miniBatchSizeSchema,
} from './batch-settings';
import { condaCredentialRefusal, condaCredentials } from './conda-file';
import { parseAssetReference, registeredAssetSchema, registryAssetSchema, type RegistryAssetKind } from './asset-reference';
import { assetNameSchema, assetVersionSchema, computeNameSchema, deploymentNameSchema, endpointNameSchema } from './naming-rules';

/** BatchLoggingLevel in mfe.json is Info | Warning | Debug; the recipe writes "info", so accept any case. */
export const loggingLevelSchema = z
  .string()
  .transform((s) => s.trim().toLowerCase())
  .pipe(z.enum(['info', 'warning', 'debug']))
  .transform((s) => (s.charAt(0).toUpperCase() + s.slice(1)) as 'Info' | 'Warning' | 'Debug');

/**
 * ModelType as azure-ai-ml writes it (AssetTypes.CUSTOM_MODEL / MLFLOW_MODEL; a registered MLflow model
 * reads `modelType: "mlflow_model"` in test_mlflow_batch_endpoint_create_and_update.json).
 */
export const modelTypeSchema = z.enum(['custom_model', 'mlflow_model']);
export type ModelType = z.infer<typeof modelTypeSchema>;

/** Code is only ever this workspace's: registered (a version, no label) or uploaded. */
const registeredCode = z.object({ kind: z.literal('registered'), name: assetNameSchema, version: assetVersionSchema });

export const modelSourceSchema = z.discriminatedUnion('kind', [
  registeredAssetSchema,
  registryAssetSchema,
  z.object({
    kind: z.literal('upload'),
    /** Folder relative to the configured artifacts root. */
    localPath: z.string().min(1),
    name: assetNameSchema,
    /** Omitted: derived from the folder's content, so an unchanged folder reuses its version. */
    version: assetVersionSchema.optional(),
    /** An MLflow model folder (with its MLmodel file) deploys without scoring code or environment; default custom_model. */
    type: modelTypeSchema.optional(),
  }),
]);

export const codeSourceSchema = z.discriminatedUnion('kind', [
  registeredCode,
  z.object({
    kind: z.literal('upload'),
    localPath: z.string().min(1),
    name: assetNameSchema,
    version: assetVersionSchema.optional(),
  }),
]);

export const environmentSourceSchema = z.discriminatedUnion('kind', [
  registeredAssetSchema,
  registryAssetSchema,
  z.object({
    kind: z.literal('image'),
    name: assetNameSchema,
    version: assetVersionSchema.optional(),
    image: z.string().min(1).max(512),
    /**
     * Conda file content (YAML or JSON text), as EnvironmentVersion.condaFile takes it. One carrying a
     * credential is refused at every boundary that reads a deploy spec (form, CLI, queue, approval record).
     */
    condaFile: z
      .string()
      .max(100_000)
      .superRefine((text, ctx) => {
        const found = condaCredentials(text);
        if (found.length > 0) ctx.addIssue({ code: 'custom', message: condaCredentialRefusal(found) });
      })
      .optional(),
  }),
]);

export const computeSourceSchema = z.discriminatedUnion('kind', [
  z.object({ kind: z.literal('existing'), name: computeNameSchema }),
  z
    .object({
      kind: z.literal('create'),
      name: computeNameSchema,
      vmSize: z.string().min(1).max(64).default('STANDARD_D2_V2'),
      minNodeCount: z.coerce.number().int().min(0).default(0),
      maxNodeCount: z.coerce.number().int().min(1).default(5),
    })
    .refine((c) => c.minNodeCount <= c.maxNodeCount, {
      message: 'minNodeCount must not exceed maxNodeCount',
      path: ['minNodeCount'],
    }),
]);

/** A reference written as text becomes its object; text that is no reference is left for the schema to refuse. */
function fromReferenceText(kind: RegistryAssetKind) {
  return (value: unknown): unknown => {
    if (typeof value !== 'string') return value;
    const parsed = parseAssetReference(kind, value);
    return parsed?.ok ? parsed.asset : value;
  };
}

export const deploySpecSchema = z
  .object({
  endpointName: endpointNameSchema,
  deploymentName: deploymentNameSchema,
  description: z.string().max(1000).optional(),
  /** An object, or (spec files) a reference string: name:version, name@latest, azureml://registries/… */
  model: z.preprocess(fromReferenceText('models'), modelSourceSchema),
  /** Code, scoring script and environment come together; an MLflow model may leave all three out. */
  code: codeSourceSchema.optional(),
  scoringScript: z.string().min(1).max(255).optional(),
  environment: z.preprocess(fromReferenceText('environments'), environmentSourceSchema).optional(),
  compute: computeSourceSchema,
  instanceCount: instanceCountSchema.default(1),
  maxConcurrencyPerInstance: maxConcurrencyPerInstanceSchema.default(4),
  miniBatchSize: miniBatchSizeSchema.default(5),
  retrySettings: z
    .object({
      maxRetries: maxRetriesSchema.default(3),
      timeout: isoDurationSchema.default('PT30S'),
    })
    .default({ maxRetries: 3, timeout: 'PT30S' }),
  /** -1 ignores every item failure (mfe.json BatchDeployment.errorThreshold). */
  errorThreshold: errorThresholdSchema.default(10),
  loggingLevel: loggingLevelSchema.default('Info'),
  makeDefault: z.boolean().default(true),
})
  .superRefine((spec, ctx) => {
    for (const issue of scoringCodeIssues(spec)) ctx.addIssue({ code: 'custom', ...issue });
  });

/**
 * The rules for code, scoring script and environment (mfe.json makes codeConfiguration and environmentId
 * optional; Microsoft's "Use MLflow models in batch deployments" says an MLflow model needs neither and
 * may still be given both to customise scoring, while any other model needs both). Whether a registered or
 * registry model is MLflow is only known from Azure, so the pre-flight check finishes that rule.
 */
export function scoringCodeIssues(spec: {
  model: { kind: string; type?: ModelType };
  code?: unknown;
  scoringScript?: string;
  environment?: unknown;
}): Array<{ message: string; path: string[] }> {
  const issues: Array<{ message: string; path: string[] }> = [];
  const hasCode = spec.code !== undefined;
  if (hasCode && spec.scoringScript === undefined) {
    issues.push({ path: ['scoringScript'], message: 'give the scoring script in the code folder (the file with init() and run(mini_batch))' });
  }
  if (!hasCode && spec.scoringScript !== undefined) {
    issues.push({ path: ['code'], message: 'a scoring script needs its code: give the code folder or registered code it is in' });
  }
  if (hasCode && spec.environment === undefined) {
    issues.push({ path: ['environment'], message: 'a scoring script runs in an environment: give a registered or registry environment, or an image' });
  }
  if (!hasCode && spec.scoringScript === undefined) {
    if (spec.environment !== undefined) {
      issues.push({
        path: ['code'],
        message: 'an environment is only used to run a scoring script: give code and a scoring script too, or leave the environment out (an MLflow model needs neither)',
      });
    } else if (spec.model.kind === 'upload' && spec.model.type !== 'mlflow_model') {
      issues.push({
        path: ['code'],
        message:
          'a custom model needs scoring code, a scoring script and an environment: give all three, or upload an MLflow model folder with model type mlflow_model (it needs none)',
      });
    }
  }
  return issues;
}

export type DeploySpecInput = z.input<typeof deploySpecSchema>;
export type DeploySpec = z.output<typeof deploySpecSchema>;
