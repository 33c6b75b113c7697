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
import { assetNameSchema, assetVersionSchema, computeNameSchema, deploymentNameSchema, endpointNameSchema } from './naming-rules';

/** BatchLoggingLevel in mfe.json is Info | Warning | Debug; the recipe writes "info", so accept any case. */
export const loggingLevelSchema = z
  .string()
  .transform((s) => s.trim().toLowerCase())
  .pipe(z.enum(['info', 'warning', 'debug']))
  .transform((s) => (s.charAt(0).toUpperCase() + s.slice(1)) as 'Info' | 'Warning' | 'Debug');

const registeredAsset = z.object({ kind: z.literal('registered'), name: assetNameSchema, version: assetVersionSchema });

export const modelSourceSchema = z.discriminatedUnion('kind', [
  registeredAsset,
  z.object({
    kind: z.literal('upload'),
    /** Folder relative to the configured artifacts root. */
    localPath: z.string().min(1),
    name: assetNameSchema,
    /** Omitted: derived from the folder's content, so an unchanged folder reuses its version. */
    version: assetVersionSchema.optional(),
  }),
]);

export const codeSourceSchema = z.discriminatedUnion('kind', [
  registeredAsset,
  z.object({
    kind: z.literal('upload'),
    localPath: z.string().min(1),
    name: assetNameSchema,
    version: assetVersionSchema.optional(),
  }),
]);

export const environmentSourceSchema = z.discriminatedUnion('kind', [
  registeredAsset,
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

export const deploySpecSchema = z.object({
  endpointName: endpointNameSchema,
  deploymentName: deploymentNameSchema,
  description: z.string().max(1000).optional(),
  model: modelSourceSchema,
  code: codeSourceSchema,
  scoringScript: z.string().min(1).max(255),
  environment: environmentSourceSchema,
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
});

export type DeploySpecInput = z.input<typeof deploySpecSchema>;
export type DeploySpec = z.output<typeof deploySpecSchema>;
