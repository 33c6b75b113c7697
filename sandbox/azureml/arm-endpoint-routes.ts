// Batch endpoints and batch deployments (mfe.json 2022-05-01, BatchEndpoints_* and BatchDeployments_*),
// answering as the recordings do (test_batch_endpoint_create.json, test_batch_job_download.json):
// PUT → 201 (200 on update) + Azure-AsyncOperation + Location + x-ms-async-operation-timeout, and
// properties.properties.AzureAsyncOperationUri in the body (the recipe polls that); a new endpoint shows
// `scoringUri: null` until its creation succeeded, a new deployment shows provisioningState "Updating";
// PATCH/DELETE → 202 with body null + Azure-AsyncOperation + Location; deleting an endpoint deletes its
// deployments. Names follow Azure's rule (3–32, a letter first, letters, digits and '-', not ending in
// '-'); endpoint names are unique in their region (another workspace's endpoint takes the name: the
// admin API's `takeEndpointName`); tag values may not be empty.
import { conflict, resourceNotFound, userError } from './arm-errors';
import { endpointView, deploymentView } from './resource-views';
import {
  batchDeploymentBodySchema,
  batchDeploymentPropertiesSchema,
  batchEndpointBodySchema,
  parseBody,
  partialTrackedBodySchema,
} from './request-schemas';
import type { RouteTable, SandboxRequest, SandboxResponse } from './route-table';
import { apiVersionOf, type SandboxContext } from './sandbox-context';
import { findAssetVersion, requireAssetVersion, requireCompute } from './workspace-references';
import {
  key,
  newSystemData,
  touch,
  type DeploymentRecord,
  type EndpointRecord,
} from './workspace-state';

/**
 * Azure's endpoint and deployment naming rule (stricter than the spec's path pattern): 3–32 characters,
 * `^[a-zA-Z]([-a-zA-Z0-9]*[a-zA-Z0-9])?$` (docs: "Azure Machine Learning endpoints: naming rules").
 */
const NAME_RULE = /^[a-zA-Z]([-a-zA-Z0-9]*[a-zA-Z0-9])?$/;
const validName = (name: string): boolean => name.length >= 3 && name.length <= 32 && NAME_RULE.test(name);

/** Tag values must not be empty (**guess** at the message; the rule is Azure's resource tag rule). */
function requireTagValues(tags: Record<string, string> | null | undefined): void {
  for (const [tagKey, value] of Object.entries(tags ?? {})) {
    if (value.trim() === '') throw userError(`The value of tag '${tagKey}' is empty; tag values must not be empty`, `tags.${tagKey}`);
  }
}

const ENDPOINT_TYPE = 'Microsoft.MachineLearningServices/workspaces/batchEndpoints';

function requireEndpoint(ctx: SandboxContext, name: string): EndpointRecord {
  const endpoint = ctx.state.endpoints.get(key(name));
  if (!endpoint) throw resourceNotFound(`${ENDPOINT_TYPE}`, `${ctx.identity.workspace}/${name}`, ctx.identity.resourceGroup);
  return endpoint;
}

function validateDeploymentReferences(ctx: SandboxContext, body: ReturnType<typeof batchDeploymentPropertiesSchema.parse>): string | undefined {
  const ws = ctx.identity;
  if (body.model) {
    if (body.model.referenceType === 'Id') {
      if (!body.model.assetId) throw userError('properties.model.assetId is required when referenceType is Id', 'properties.model.assetId');
      requireAssetVersion(ctx.state, ws, 'models', body.model.assetId, 'properties.model.assetId', ctx.registries);
    }
  } else {
    throw userError('properties.model is required: the model version to score with', 'properties.model');
  }
  if (body.codeConfiguration?.codeId) {
    requireAssetVersion(ctx.state, ws, 'codes', body.codeConfiguration.codeId, 'properties.codeConfiguration.codeId');
  }
  if (body.environmentId) {
    requireAssetVersion(ctx.state, ws, 'environments', body.environmentId, 'properties.environmentId', ctx.registries);
  }
  // Only an MLflow model deploys without a scoring script and environment ("Use MLflow models in batch
  // deployments"); a scoring script needs an environment to run in (same page, "Customizing MLflow models
  // deployments with a scoring script"). The wording of both refusals is a **guess**.
  if (!body.codeConfiguration && body.model.referenceType === 'Id' && body.model.assetId && !isMlflowModel(ctx, body.model.assetId)) {
    throw userError(
      'properties.codeConfiguration is required: only an MLflow model (modelType mlflow_model) can be deployed without a scoring script and environment',
      'properties.codeConfiguration',
    );
  }
  if (body.codeConfiguration && !body.environmentId) {
    throw userError('properties.environmentId is required when properties.codeConfiguration gives a scoring script', 'properties.environmentId');
  }
  if (!body.compute) throw userError('properties.compute is required: batch deployments run on a compute cluster', 'properties.compute');
  return requireCompute(ctx.state, ws, ctx.workspacePath, body.compute, 'properties.compute');
}

/** Whether the model a deployment names is an MLflow model (its version's modelType). */
export function isMlflowModel(ctx: SandboxContext, assetId: string): boolean {
  const fromRegistry = ctx.registries.find(assetId, 'models');
  const properties = fromRegistry?.properties ?? findAssetVersion(ctx.state, ctx.identity, 'models', assetId)?.properties;
  return typeof properties?.modelType === 'string' && properties.modelType.toLowerCase() === 'mlflow_model';
}

function setAsyncOperationProperty(props: Record<string, string | null> | null | undefined, url: string): Record<string, string | null> {
  return { ...(props ?? {}), AzureAsyncOperationUri: url };
}

export function registerEndpointRoutes(routes: RouteTable, ctx: SandboxContext): void {
  const { state, ops, clock } = ctx;
  /** The resource's own URL, the Location a PUT answers with. */
  const resourceUrl = (req: SandboxRequest): string => `${ctx.baseUrl}${req.path}?api-version=${encodeURIComponent(apiVersionOf(req.query))}`;

  routes.add('GET', 'batchEndpoints', (req) => ({
    status: 200,
    body: { value: [...state.endpoints.values()].map((e) => endpointView(ctx.views, e, apiVersionOf(req.query))) },
  }));

  routes.add('GET', 'batchEndpoints/{endpointName}', (req) => ({
    status: 200,
    body: endpointView(ctx.views, requireEndpoint(ctx, req.params.endpointName!), apiVersionOf(req.query)),
  }));

  routes.add('PUT', 'batchEndpoints/{endpointName}', (req): SandboxResponse => {
    const name = req.params.endpointName!;
    if (!validName(name)) {
      throw userError(
        `Invalid batch endpoint name '${name}': it must start with a letter, have 3 to 32 characters, only letters, digits and '-', and not end with '-'`,
        'endpointName',
      );
    }
    const body = parseBody(batchEndpointBodySchema, req.body());
    requireTagValues(body.tags);
    const existing = state.endpoints.get(key(name));
    if (!existing && ctx.takenEndpointNames.has(key(name))) {
      // The message Azure gives (seen in public issue trackers, e.g. ansible-collections/azure#2231).
      throw userError(
        `The specified endpoint name '${name}' is not available. Endpoint names must be unique within the region. Please choose a different name and try again.`,
      );
    }
    if (existing?.provisioningState === 'Deleting') throw conflict(`Batch endpoint ${name} is being deleted; retry after the deletion completes`);
    const defaultDeployment = body.properties.defaults?.deploymentName;
    if (defaultDeployment && !existing?.deployments.has(key(defaultDeployment))) {
      throw userError(
        `Deployment ${defaultDeployment} does not exist under batch endpoint ${name}; create it before making it the default`,
        'properties.defaults.deploymentName',
      );
    }
    if (existing && existing.location.toLowerCase() !== body.location.toLowerCase()) {
      throw userError(`The location of batch endpoint ${name} cannot change (it is ${existing.location})`, 'location');
    }
    const record: EndpointRecord = existing ?? {
      name,
      location: body.location,
      tags: {},
      systemData: newSystemData(ctx.actor),
      provisioningState: 'Creating',
      properties: body.properties,
      deployments: new Map(),
    };
    if (existing) {
      record.systemData = touch(record.systemData, ctx.actor);
      record.provisioningState = 'Updating';
    }
    record.tags = body.tags ?? {};
    record.kind = body.kind;
    const op = ops.start({
      durationMs: clock.ms(existing ? 'endpointUpdateMs' : 'endpointCreateMs'),
      complete: (op) => {
        if (record.currentOperationId === op.id && state.endpoints.get(key(name)) === record) record.provisioningState = 'Succeeded';
      },
    });
    record.currentOperationId = op.id;
    const headers = ops.asyncHeaders(op, apiVersionOf(req.query), resourceUrl(req));
    record.properties = {
      ...body.properties,
      properties: {
        BatchEndpointCreationApiVersion: record.properties.properties?.BatchEndpointCreationApiVersion ?? apiVersionOf(req.query),
        ...setAsyncOperationProperty(body.properties.properties, headers['Azure-AsyncOperation']!),
      },
    };
    state.endpoints.set(key(name), record);
    return { status: existing ? 200 : 201, headers, body: endpointView(ctx.views, record, apiVersionOf(req.query)) };
  });

  routes.add('PATCH', 'batchEndpoints/{endpointName}', (req) => {
    const record = requireEndpoint(ctx, req.params.endpointName!);
    const patch = parseBody(partialTrackedBodySchema, req.body());
    requireTagValues(patch.tags);
    if (patch.tags) record.tags = { ...record.tags, ...patch.tags };
    // Lenient like the service: description and defaults may also be patched.
    const p = patch.properties ?? {};
    if (typeof p.description === 'string') record.properties.description = p.description;
    const defaults = p.defaults as { deploymentName?: string } | undefined;
    if (defaults?.deploymentName !== undefined) {
      if (!record.deployments.has(key(defaults.deploymentName))) {
        throw userError(`Deployment ${defaults.deploymentName} does not exist under batch endpoint ${record.name}`, 'properties.defaults.deploymentName');
      }
      record.properties.defaults = { deploymentName: defaults.deploymentName };
    }
    record.systemData = touch(record.systemData, ctx.actor);
    record.provisioningState = 'Updating';
    const op = ops.start({
      durationMs: clock.ms('endpointUpdateMs'),
      complete: (op) => {
        if (record.currentOperationId === op.id) record.provisioningState = 'Succeeded';
      },
      finalBody: () => endpointView(ctx.views, record, apiVersionOf(req.query)),
    });
    record.currentOperationId = op.id;
    return { status: 202, headers: ops.locationHeaders(op, apiVersionOf(req.query)), body: null };
  });

  routes.add('DELETE', 'batchEndpoints/{endpointName}', (req) => {
    const name = req.params.endpointName!;
    const record = state.endpoints.get(key(name));
    if (!record) return { status: 204 };
    record.provisioningState = 'Deleting';
    for (const d of record.deployments.values()) d.provisioningState = 'Deleting';
    const op = ops.start({
      durationMs: clock.ms('endpointDeleteMs'),
      complete: () => {
        if (state.endpoints.get(key(name)) === record) state.endpoints.delete(key(name));
      },
    });
    record.currentOperationId = op.id;
    return { status: 202, headers: ops.locationHeaders(op, apiVersionOf(req.query)), body: null };
  });

  const deploymentsOf = (req: SandboxRequest): EndpointRecord => requireEndpoint(ctx, req.params.endpointName!);
  const requireDeployment = (endpoint: EndpointRecord, name: string): DeploymentRecord => {
    const d = endpoint.deployments.get(key(name));
    if (!d) {
      throw resourceNotFound(`${ENDPOINT_TYPE}/deployments`, `${ctx.identity.workspace}/${endpoint.name}/${name}`, ctx.identity.resourceGroup);
    }
    return d;
  };

  routes.add('GET', 'batchEndpoints/{endpointName}/deployments', (req) => {
    const top = Number(req.query.get('$top') ?? 'NaN');
    const all = [...deploymentsOf(req).deployments.values()].map((d) => deploymentView(ctx.views, d, apiVersionOf(req.query)));
    return { status: 200, body: { value: Number.isInteger(top) && top > 0 ? all.slice(0, top) : all } };
  });

  routes.add('GET', 'batchEndpoints/{endpointName}/deployments/{deploymentName}', (req) => ({
    status: 200,
    body: deploymentView(ctx.views, requireDeployment(deploymentsOf(req), req.params.deploymentName!), apiVersionOf(req.query)),
  }));

  const provision = (endpoint: EndpointRecord, record: DeploymentRecord, durationMs: number) =>
    ops.start({
      durationMs,
      complete: (op) => {
        // A newer operation on the same deployment decides its state; this one just succeeds.
        if (record.currentOperationId !== op.id) return undefined;
        const failure = ctx.deploymentFailures.get(`${key(endpoint.name)}/${key(record.name)}`);
        if (failure) {
          ctx.deploymentFailures.delete(`${key(endpoint.name)}/${key(record.name)}`);
          record.provisioningState = 'Failed';
          return failure;
        }
        record.provisioningState = 'Succeeded';
        return undefined;
      },
      finalBody: () => deploymentView(ctx.views, record),
    });

  routes.add('PUT', 'batchEndpoints/{endpointName}/deployments/{deploymentName}', (req) => {
    const endpoint = deploymentsOf(req);
    const name = req.params.deploymentName!;
    if (!validName(name)) {
      throw userError(
        `Invalid deployment name '${name}': it must start with a letter, have 3 to 32 characters, only letters, digits and '-', and not end with '-'`,
        'deploymentName',
      );
    }
    if (endpoint.provisioningState === 'Deleting') throw conflict(`Batch endpoint ${endpoint.name} is being deleted`);
    const body = parseBody(batchDeploymentBodySchema, req.body());
    requireTagValues(body.tags);
    const computeId = validateDeploymentReferences(ctx, body.properties);
    const existing = endpoint.deployments.get(key(name));
    if (existing?.provisioningState === 'Deleting') throw conflict(`Deployment ${name} is being deleted`);
    const record: DeploymentRecord = existing ?? {
      name,
      endpointName: endpoint.name,
      location: body.location,
      tags: {},
      systemData: newSystemData(ctx.actor),
      // Recorded: a new deployment's 201 already says "Updating" (test_batch_job_download.json #22).
      provisioningState: 'Updating',
      properties: body.properties,
    };
    if (existing) {
      record.systemData = touch(record.systemData, ctx.actor);
      record.provisioningState = 'Updating';
    }
    record.tags = body.tags ?? {};
    record.kind = body.kind;
    record.properties = { ...body.properties, compute: computeId ?? body.properties.compute };
    const op = provision(endpoint, record, clock.ms(existing ? 'deploymentUpdateMs' : 'deploymentCreateMs'));
    record.currentOperationId = op.id;
    const headers = ops.asyncHeaders(op, apiVersionOf(req.query), resourceUrl(req));
    record.properties.properties = setAsyncOperationProperty(body.properties.properties, headers['Azure-AsyncOperation']!);
    endpoint.deployments.set(key(name), record);
    return { status: existing ? 200 : 201, headers, body: deploymentView(ctx.views, record, apiVersionOf(req.query)) };
  });

  routes.add('PATCH', 'batchEndpoints/{endpointName}/deployments/{deploymentName}', (req) => {
    const endpoint = deploymentsOf(req);
    const record = requireDeployment(endpoint, req.params.deploymentName!);
    const patch = parseBody(partialTrackedBodySchema, req.body());
    requireTagValues(patch.tags);
    if (patch.tags) record.tags = { ...record.tags, ...patch.tags };
    if (patch.properties && Object.keys(patch.properties).length > 0) {
      const merged = parseBody(batchDeploymentPropertiesSchema, { ...record.properties, ...patch.properties });
      validateDeploymentReferences(ctx, merged);
      record.properties = merged;
    }
    record.systemData = touch(record.systemData, ctx.actor);
    record.provisioningState = 'Updating';
    const op = provision(endpoint, record, clock.ms('deploymentUpdateMs'));
    record.currentOperationId = op.id;
    return { status: 202, headers: ops.locationHeaders(op, apiVersionOf(req.query)), body: null };
  });

  routes.add('DELETE', 'batchEndpoints/{endpointName}/deployments/{deploymentName}', (req) => {
    const endpoint = deploymentsOf(req);
    const name = req.params.deploymentName!;
    const record = endpoint.deployments.get(key(name));
    if (!record) return { status: 204 };
    record.provisioningState = 'Deleting';
    const op = ops.start({
      durationMs: clock.ms('deploymentDeleteMs'),
      complete: () => {
        if (endpoint.deployments.get(key(name)) === record) endpoint.deployments.delete(key(name));
        if (endpoint.properties.defaults?.deploymentName && key(endpoint.properties.defaults.deploymentName) === key(name)) {
          endpoint.properties.defaults = { deploymentName: null };
        }
      },
    });
    record.currentOperationId = op.id;
    return { status: 202, headers: ops.locationHeaders(op, apiVersionOf(req.query)), body: null };
  });
}
