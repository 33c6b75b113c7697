// What the sandbox accepts in request bodies. Like the service (and unlike mfe.json's strict
// types), it is lenient: numbers written as strings ("miniBatchSize": "5"), enum values in any case
// ("loggingLevel": "info"), unknown properties ignored. The parsed values are canonical, so every
// response is spec-valid (integers, enum case `Info`). Field names follow mfe.json 2022-05-01 and
// machineLearningServices.json (computes).
import { z } from 'zod';
import { invalidBody, type ArmErrorDetail } from './arm-errors';

/** "5" → 5; rejects "five" and 5.5 with a message naming the expected type. */
const integer = (opts: { min?: number } = {}) =>
  z.preprocess(
    (v) => (typeof v === 'string' && v.trim() !== '' && !Number.isNaN(Number(v)) ? Number(v) : v),
    opts.min === undefined ? z.number().int() : z.number().int().min(opts.min),
  );

const boolean = z.preprocess((v) => (v === 'true' ? true : v === 'false' ? false : v), z.boolean());

/** Accepts any letter case (and, with aliases, alternative spellings); yields the spec's spelling. */
function looseEnum<const T extends readonly [string, ...string[]]>(values: T, aliases: Record<string, T[number]> = {}) {
  return z.preprocess((v) => {
    if (typeof v !== 'string') return v;
    const lower = v.toLowerCase();
    return values.find((x) => x.toLowerCase() === lower) ?? aliases[lower] ?? v;
  }, z.enum(values));
}

const stringMap = z.record(z.string(), z.string().nullable());
const isoDuration = z.string().regex(/^P(?!$)(\d+Y)?(\d+M)?(\d+W)?(\d+D)?(T(?=\d)(\d+H)?(\d+M)?(\d+(\.\d+)?S)?)?$/, 'must be an ISO 8601 duration such as PT30S');

/** Properties every ResourceBase carries. */
const resourceBase = {
  description: z.string().nullable().optional(),
  tags: stringMap.nullable().optional(),
  properties: stringMap.nullable().optional(),
};

// --- batch endpoints and deployments (mfe.json BatchEndpoint, BatchDeployment) ---

export const batchEndpointBodySchema = z.object({
  location: z.string().min(1),
  tags: z.record(z.string(), z.string()).optional(),
  kind: z.string().optional(),
  properties: z.object({
    authMode: looseEnum(['AMLToken', 'Key', 'AADToken']),
    description: z.string().nullable().optional(),
    properties: stringMap.nullable().optional(),
    defaults: z.object({ deploymentName: z.string().nullable().optional() }).nullable().optional(),
  }),
});
export type BatchEndpointBody = z.infer<typeof batchEndpointBodySchema>;

export const batchDeploymentPropertiesSchema = z.object({
  description: z.string().nullable().optional(),
  properties: stringMap.nullable().optional(),
  codeConfiguration: z
    .object({ codeId: z.string().nullable().optional(), scoringScript: z.string().min(1) })
    .nullable()
    .optional(),
  environmentId: z.string().nullable().optional(),
  environmentVariables: stringMap.nullable().optional(),
  compute: z.string().nullable().optional(),
  errorThreshold: integer({ min: -1 }).default(-1),
  retrySettings: z
    .object({ maxRetries: integer({ min: 0 }).default(3), timeout: isoDuration.default('PT30S') })
    .nullable()
    .optional(),
  miniBatchSize: integer({ min: 1 }).default(10),
  loggingLevel: looseEnum(['Info', 'Warning', 'Debug']).default('Info'),
  model: z
    .object({
      referenceType: looseEnum(['Id', 'DataPath', 'OutputPath']),
      assetId: z.string().optional(),
      datastoreId: z.string().nullable().optional(),
      path: z.string().nullable().optional(),
      jobId: z.string().nullable().optional(),
    })
    .nullable()
    .optional(),
  maxConcurrencyPerInstance: integer({ min: 1 }).default(1),
  outputAction: looseEnum(['SummaryOnly', 'AppendRow']).default('AppendRow'),
  outputFileName: z.string().min(1).default('predictions.csv'),
  resources: z
    .object({
      instanceCount: integer({ min: 1 }).default(1),
      instanceType: z.string().nullable().optional(),
      properties: z.record(z.string(), z.record(z.string(), z.unknown()).nullable()).nullable().optional(),
    })
    .nullable()
    .optional(),
});
export type BatchDeploymentProperties = z.infer<typeof batchDeploymentPropertiesSchema>;

export const batchDeploymentBodySchema = z.object({
  location: z.string().min(1),
  tags: z.record(z.string(), z.string()).optional(),
  kind: z.string().optional(),
  properties: batchDeploymentPropertiesSchema,
});
export type BatchDeploymentBody = z.infer<typeof batchDeploymentBodySchema>;

/** PATCH bodies (PartialMinimalTrackedResourceWithIdentity / PartialBatchDeployment…): tags, and leniently properties. */
export const partialTrackedBodySchema = z.object({
  tags: z.record(z.string(), z.string()).optional(),
  properties: z.record(z.string(), z.unknown()).optional(),
});
export type PartialTrackedBody = z.infer<typeof partialTrackedBodySchema>;

// --- computes (machineLearningServices.json AmlCompute) ---

export const amlComputeBodySchema = z.object({
  location: z.string().min(1).optional(),
  tags: z.record(z.string(), z.string()).nullable().optional(),
  properties: z.object({
    computeType: looseEnum(['AmlCompute']),
    description: z.string().nullable().optional(),
    disableLocalAuth: boolean.optional(),
    properties: z
      .object({
        osType: looseEnum(['Linux', 'Windows']).default('Linux'),
        vmSize: z.string().min(1).optional(),
        vmPriority: looseEnum(['Dedicated', 'LowPriority']).default('Dedicated'),
        scaleSettings: z
          .object({
            maxNodeCount: integer({ min: 0 }),
            minNodeCount: integer({ min: 0 }).default(0),
            nodeIdleTimeBeforeScaleDown: isoDuration.optional(),
          })
          .optional(),
        remoteLoginPortPublicAccess: looseEnum(['Enabled', 'Disabled', 'NotSpecified']).default('NotSpecified'),
        enableNodePublicIp: boolean.optional(),
        isolatedNetwork: boolean.optional(),
      })
      .default({ osType: 'Linux', vmPriority: 'Dedicated', remoteLoginPortPublicAccess: 'NotSpecified' }),
  }),
});
export type AmlComputeBody = z.infer<typeof amlComputeBodySchema>;

// --- assets (mfe.json CodeVersion, ModelVersion, EnvironmentVersion, DataVersionBase, containers) ---

const assetBase = { ...resourceBase, isAnonymous: boolean.optional(), isArchived: boolean.optional() };

export const codeVersionBodySchema = z.object({
  properties: z.object({ ...assetBase, codeUri: z.string().nullable().optional() }),
});
export const modelVersionBodySchema = z.object({
  properties: z.object({
    ...assetBase,
    flavors: z.record(z.string(), z.unknown()).nullable().optional(),
    jobName: z.string().nullable().optional(),
    modelType: z.string().nullable().optional(),
    modelUri: z.string().nullable().optional(),
  }),
});
export const environmentVersionBodySchema = z.object({
  properties: z
    .object({
      ...assetBase,
      image: z.string().min(1).optional(),
      condaFile: z.string().optional(),
      build: z.object({ contextUri: z.string().min(1), dockerfilePath: z.string().optional() }).optional(),
      inferenceConfig: z.record(z.string(), z.unknown()).optional(),
      osType: looseEnum(['Linux', 'Windows']).default('Linux'),
    })
    .refine((p) => p.image !== undefined || p.build !== undefined, {
      message: 'an environment needs either image or build',
      path: ['image'],
    }),
});
const dataType = looseEnum(['uri_file', 'uri_folder', 'mltable'], { urifile: 'uri_file', urifolder: 'uri_folder' });
export const dataVersionBodySchema = z.object({
  properties: z.object({ ...assetBase, dataType, dataUri: z.string().min(1) }),
});
export const assetContainerBodySchema = z.object({
  properties: z.object({ ...resourceBase, isArchived: boolean.optional(), dataType: dataType.optional() }),
});
export type AssetVersionBody = { properties: Record<string, unknown> };

// --- datastores (mfe.json AzureBlobDatastore with AccountKey/Sas/None credentials) ---

export const datastoreBodySchema = z.object({
  properties: z.object({
    ...resourceBase,
    datastoreType: looseEnum(['AzureBlob']),
    accountName: z.string().min(1),
    containerName: z.string().min(1),
    endpoint: z.string().optional(),
    protocol: z.string().optional(),
    serviceDataAccessAuthIdentity: looseEnum(['None', 'WorkspaceSystemAssignedIdentity', 'WorkspaceUserAssignedIdentity']).optional(),
    credentials: z.object({
      credentialsType: looseEnum(['AccountKey', 'Sas', 'None', 'Certificate', 'ServicePrincipal']),
      secrets: z.record(z.string(), z.unknown()).optional(),
    }),
  }),
});
export type DatastoreBody = z.infer<typeof datastoreBodySchema>;

// --- scoring (the batch endpoint data plane; the recipe's InputData/OutputData body) ---

export const scoringBodySchema = z.object({
  properties: z.object({
    InputData: z
      .record(
        z.string(),
        z.object({
          JobInputType: looseEnum(['UriFolder', 'UriFile'], { uri_folder: 'UriFolder', uri_file: 'UriFile' }),
          Uri: z.string().min(1),
        }),
      )
      .refine((m) => Object.keys(m).length === 1, 'a batch endpoint takes exactly one input'),
    OutputData: z
      .record(
        z.string(),
        z.object({
          JobOutputType: looseEnum(['UriFile'], { uri_file: 'UriFile' }),
          Uri: z.string().min(1),
        }),
      )
      .refine((m) => Object.keys(m).length <= 1, 'a batch endpoint writes at most one output')
      .optional(),
  }),
});
export type ScoringBody = z.infer<typeof scoringBodySchema>;

/** The data plane's property names are case-insensitive (`InputData`, `inputData`, `jobInputType`…). */
export function normalizeScoringKeys(body: unknown): unknown {
  const canonical: Record<string, string> = {
    properties: 'properties',
    inputdata: 'InputData',
    outputdata: 'OutputData',
    jobinputtype: 'JobInputType',
    joboutputtype: 'JobOutputType',
    uri: 'Uri',
  };
  const walk = (value: unknown, depth: number): unknown => {
    if (Array.isArray(value) || value === null || typeof value !== 'object') return value;
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(value)) {
      // Depth 2 holds the user's input/output names, which keep their spelling.
      const key = depth === 2 ? k : (canonical[k.toLowerCase()] ?? k);
      out[key] = walk(v, depth + 1);
    }
    return out;
  };
  return walk(body, 0);
}

/** Parses with `schema`, or throws a 400 whose details name each offending field. */
export function parseBody<S extends z.ZodType>(schema: S, body: unknown): z.infer<S> {
  if (body === undefined) throw invalidBody([{ code: 'MissingRequestBody', message: 'a JSON request body is required' }]);
  const result = schema.safeParse(body);
  if (result.success) return result.data;
  const details: ArmErrorDetail[] = result.error.issues.map((issue) => ({
    code: 'InvalidField',
    target: issue.path.map(String).join('.') || '(body)',
    message: issue.message,
  }));
  throw invalidBody(details);
}
