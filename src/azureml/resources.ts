// The ARM resources we read, as zod schemas (the types are z.infer of them). Field names and enums come
// from mfe.json and machineLearningServices.json, api-version 2022-05-01. Objects are loose: ARM adds
// fields (systemData, identity, sku, tags…) we do not use and must not reject; the fields we do use are
// typed strictly, so a malformed answer fails here and not three calls later.
import { z } from 'zod';

/**
 * Every enum in the spec is extensible (`x-ms-enum.modelAsString: true`): a newer api-version, or another
 * team's job in the same workspace, may carry a value the 2022-05-01 spec does not list. Answers are
 * parsed with the known values for documentation and kept as text when a value is new, so one unknown
 * status never refuses a whole list. (Requests we build still use the strict enums.)
 */
function extensible<T extends z.ZodEnum>(known: T) {
  return z.union([known, z.string().min(1)]);
}

/** JobStatus (mfe.json). Terminal: Completed, Failed, Canceled. */
export const knownJobStatusSchema = z.enum([
  'NotStarted',
  'Starting',
  'Provisioning',
  'Preparing',
  'Queued',
  'Running',
  'Finalizing',
  'CancelRequested',
  'Completed',
  'Failed',
  'Canceled',
  'NotResponding',
  'Paused',
  'Unknown',
]);
export const jobStatusSchema = extensible(knownJobStatusSchema);
export type KnownJobStatus = z.infer<typeof knownJobStatusSchema>;
/** A known JobStatus, or a newer one kept as text. */
export type JobStatus = KnownJobStatus | (string & {});
/** A job status as text, whatever the api-version (see jobStatusSchema). */
export const jobStatusTextSchema = z.string();

/** EndpointProvisioningState (mfe.json). */
export const endpointProvisioningStateSchema = extensible(z.enum(['Creating', 'Deleting', 'Succeeded', 'Failed', 'Updating', 'Canceled']));
/** DeploymentProvisioningState (mfe.json). */
export const deploymentProvisioningStateSchema = extensible(z.enum(['Creating', 'Deleting', 'Scaling', 'Updating', 'Succeeded', 'Failed', 'Canceled']));
/** EndpointAuthMode (mfe.json): the recipe writes "aadToken"; the enum spells it AADToken. */
export const endpointAuthModeSchema = extensible(z.enum(['AMLToken', 'Key', 'AADToken']));
/** BatchLoggingLevel (mfe.json). */
export const batchLoggingLevelSchema = z.enum(['Info', 'Warning', 'Debug']);
const answeredLoggingLevelSchema = extensible(batchLoggingLevelSchema);
/** DataType (mfe.json). */
export const dataTypeSchema = extensible(z.enum(['uri_file', 'uri_folder', 'mltable']));

const stringMap = z.record(z.string(), z.string().nullable());

/** Common envelope of every ARM resource (common-types v3 Resource). */
const armResource = {
  id: z.string().min(1),
  name: z.string().min(1),
  type: z.string().optional(),
};

// ---- Batch endpoint ------------------------------------------------------------------------------

export const batchEndpointPropertiesSchema = z.looseObject({
  authMode: endpointAuthModeSchema,
  description: z.string().nullish(),
  properties: stringMap.nullish(),
  scoringUri: z.url().nullish(),
  swaggerUri: z.string().nullish(),
  defaults: z.looseObject({ deploymentName: z.string().nullish() }).nullish(),
  provisioningState: endpointProvisioningStateSchema.optional(),
});

/** BatchEndpointTrackedResource. */
export const batchEndpointSchema = z.looseObject({
  ...armResource,
  location: z.string(),
  tags: stringMap.nullish(),
  properties: batchEndpointPropertiesSchema,
});
export type BatchEndpoint = z.infer<typeof batchEndpointSchema>;

// ---- Batch deployment ----------------------------------------------------------------------------

export const batchDeploymentPropertiesSchema = z.looseObject({
  description: z.string().nullish(),
  codeConfiguration: z.looseObject({ codeId: z.string().nullish(), scoringScript: z.string() }).nullish(),
  environmentId: z.string().nullish(),
  compute: z.string().nullish(),
  model: z.looseObject({ referenceType: z.string(), assetId: z.string().optional() }).nullish(),
  resources: z.looseObject({ instanceCount: z.number().int().optional() }).nullish(),
  maxConcurrencyPerInstance: z.number().int().optional(),
  miniBatchSize: z.number().int().optional(),
  retrySettings: z.looseObject({ maxRetries: z.number().int().optional(), timeout: z.string().optional() }).nullish(),
  errorThreshold: z.number().int().optional(),
  loggingLevel: answeredLoggingLevelSchema.optional(),
  outputAction: z.string().optional(),
  outputFileName: z.string().optional(),
  provisioningState: deploymentProvisioningStateSchema.optional(),
});

/** BatchDeploymentTrackedResource. */
export const batchDeploymentSchema = z.looseObject({
  ...armResource,
  location: z.string(),
  tags: stringMap.nullish(),
  properties: batchDeploymentPropertiesSchema,
});
export type BatchDeployment = z.infer<typeof batchDeploymentSchema>;

// ---- Compute (machineLearningServices.json) -----------------------------------------------------

export const amlComputePropertiesSchema = z.looseObject({
  osType: z.string().optional(),
  vmSize: z.string().optional(),
  scaleSettings: z
    .looseObject({ maxNodeCount: z.number().int(), minNodeCount: z.number().int().optional() })
    .nullish(),
  remoteLoginPortPublicAccess: z.string().optional(),
});

/** ComputeResource whose properties are an AmlCompute (other compute types pass through untyped). */
export const computeSchema = z.looseObject({
  ...armResource,
  location: z.string().optional(),
  properties: z.looseObject({
    computeType: z.string(),
    provisioningState: z.string().optional(),
    properties: amlComputePropertiesSchema.nullish(),
  }),
});
export type Compute = z.infer<typeof computeSchema>;

// ---- Datastore -----------------------------------------------------------------------------------

/** DatastoreResource holding an AzureBlobDatastore: the fields the recipe reads with jq. */
export const azureBlobDatastoreSchema = z.looseObject({
  ...armResource,
  properties: z.looseObject({
    datastoreType: z.literal('AzureBlob'),
    accountName: z.string().min(1),
    containerName: z.string().min(1),
    /** Storage endpoint suffix, e.g. core.windows.net or core.chinacloudapi.cn. */
    endpoint: z.string().min(1),
    protocol: z.string().min(1),
    isDefault: z.boolean().optional(),
  }),
});

/** Any datastore: used where a non-blob datastore must be reported rather than rejected as malformed. */
export const datastoreSchema = z.looseObject({
  ...armResource,
  properties: z.looseObject({ datastoreType: z.string(), isDefault: z.boolean().optional() }),
});

// ---- Asset versions ------------------------------------------------------------------------------

const assetBase = {
  description: z.string().nullish(),
  properties: stringMap.nullish(),
  tags: stringMap.nullish(),
  isAnonymous: z.boolean().optional(),
  isArchived: z.boolean().optional(),
};

export const codeVersionSchema = z.looseObject({
  ...armResource,
  properties: z.looseObject({ ...assetBase, codeUri: z.string().nullish() }),
});
export type CodeVersion = z.infer<typeof codeVersionSchema>;

export const modelVersionSchema = z.looseObject({
  ...armResource,
  properties: z.looseObject({ ...assetBase, modelUri: z.string().nullish(), modelType: z.string().nullish() }),
});
export type ModelVersion = z.infer<typeof modelVersionSchema>;

export const environmentVersionSchema = z.looseObject({
  ...armResource,
  properties: z.looseObject({
    ...assetBase,
    image: z.string().optional(),
    condaFile: z.string().optional(),
    osType: z.string().optional(),
  }),
});
export type EnvironmentVersion = z.infer<typeof environmentVersionSchema>;

export const dataVersionBaseSchema = z.looseObject({
  ...armResource,
  properties: z.looseObject({ ...assetBase, dataType: dataTypeSchema, dataUri: z.string().min(1) }),
});
export type DataVersionBase = z.infer<typeof dataVersionBaseSchema>;

// ---- Jobs ----------------------------------------------------------------------------------------

/** JobInput / JobOutput entries as batch jobs report them (`jobInputType`, `uri`). */
const jobIoSchema = z.looseObject({
  jobInputType: z.string().optional(),
  jobOutputType: z.string().optional(),
  uri: z.string().nullish(),
  mode: z.string().optional(),
});

/** JobBaseResource: a batch scoring job is a Pipeline job whose experimentName is the endpoint name. */
export const jobSchema = z.looseObject({
  ...armResource,
  properties: z.looseObject({
    jobType: z.string(),
    status: jobStatusTextSchema.optional(),
    experimentName: z.string().optional(),
    displayName: z.string().nullish(),
    description: z.string().nullish(),
    computeId: z.string().nullish(),
    properties: stringMap.nullish(),
    tags: stringMap.nullish(),
    inputs: z.record(z.string(), jobIoSchema.nullable()).nullish(),
    outputs: z.record(z.string(), jobIoSchema.nullable()).nullish(),
  }),
  systemData: z.looseObject({ createdAt: z.string().optional(), lastModifiedAt: z.string().optional() }).optional(),
});
export type Job = z.infer<typeof jobSchema>;

// ---- Lists ---------------------------------------------------------------------------------------

/** ARM list page (`…ArmPaginatedResult`): `value` plus `nextLink` while more pages remain. */
export function armListPageSchema<T extends z.ZodType>(item: T) {
  return z.looseObject({ value: z.array(item), nextLink: z.string().nullish() });
}
export type ArmListPage<T> = { value: T[]; nextLink?: string | null };
