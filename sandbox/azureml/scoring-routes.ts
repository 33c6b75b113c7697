// The batch endpoint data plane (not in mfe.json; the recipe and the recordings): POST {scoringUri} with
// {"properties": {"InputData"|"inputData": {...}, "OutputData"?: {...}}} and an ML-audience token starts
// a job and answers 201 with the data-plane job document and an X-Request-ID header (recorded:
// test_batch_job_download.json #28, test_batch_invoke.json #21/#24); the optional
// `azureml-model-deployment` header picks a non-default deployment and is echoed. GET
// {scoringUri}/{jobName} returns the same document. scoringUri = {baseUrl}/inference/batchEndpoints/{name}/jobs.
// Job names alternate between the two recorded forms, a GUID and `batchjob-<guid>`, so no client can
// come to depend on either.
import { isMlflowModel } from './arm-endpoint-routes';
import crypto from 'node:crypto';
import { SandboxHttpError, userError } from './arm-errors';
import { dataPlaneJobView, generatedDisplayName, type BatchJobRecord } from './batch-job';
import { parseDataReference } from './data-uri';
import { normalizeScoringKeys, parseBody, scoringBodySchema } from './request-schemas';
import type { RouteTable } from './route-table';
import { applyRunSettings, readRunSettings } from './run-settings';
import type { SandboxContext } from './sandbox-context';
import { findAssetVersion } from './workspace-references';
import { key, newSystemData } from './workspace-state';

export const SCORING_PREFIX = 'inference/batchEndpoints';

export function scoringUriOf(baseUrl: string, endpointName: string): string {
  return `${baseUrl}/${SCORING_PREFIX}/${encodeURIComponent(endpointName)}/jobs`;
}

export function registerScoringRoutes(routes: RouteTable, ctx: SandboxContext): void {
  let invocations = 0;
  const view = (job: BatchJobRecord) => dataPlaneJobView({ workspacePath: ctx.workspacePath, studioHost: ctx.cloud.studioHost }, job);

  const requireEndpoint = (name: string) => {
    const endpoint = ctx.state.endpoints.get(key(name));
    if (!endpoint) {
      throw new SandboxHttpError(404, 'NotFound', 'The specified resource was not found.', [
        { code: 'NoSuchEndpoint', message: `There is no endpoint with name: ${name} in ${ctx.identity.workspace}` },
      ]);
    }
    return endpoint;
  };

  routes.add('POST', `${SCORING_PREFIX}/{endpointName}/jobs`, (req) => {
    const endpoint = requireEndpoint(req.params.endpointName!);
    if (endpoint.provisioningState === 'Creating' || endpoint.provisioningState === 'Deleting' || endpoint.provisioningState === 'Failed') {
      throw userError(`Batch endpoint ${endpoint.name} is ${endpoint.provisioningState}; it accepts jobs once its provisioningState is Succeeded`, undefined, 409, 'Conflict');
    }
    const requested = req.header('azureml-model-deployment')?.trim();
    const deploymentName = requested || endpoint.properties.defaults?.deploymentName;
    if (!deploymentName) {
      throw userError(
        `Batch endpoint ${endpoint.name} has no default deployment and the request names none: set properties.defaults.deploymentName on the endpoint or send the azureml-model-deployment header`,
        'azureml-model-deployment',
      );
    }
    const deployment = endpoint.deployments.get(key(deploymentName));
    if (!deployment) {
      throw userError(`Deployment ${deploymentName} was not found under batch endpoint ${endpoint.name}`, 'azureml-model-deployment', 404, 'NotFound');
    }
    if (deployment.provisioningState !== 'Succeeded') {
      throw userError(`Deployment ${deployment.name} is ${deployment.provisioningState}; invoke it once its provisioningState is Succeeded`, 'azureml-model-deployment', 409, 'Conflict');
    }

    const body = parseBody(scoringBodySchema, normalizeScoringKeys(req.body()));
    const repeatabilityId = req.header('repeatability-request-id') ?? req.header('repeatability_request-id');
    const [inputName, input] = Object.entries(body.properties.InputData)[0]!;
    const inputRef = parseDataReference(input.Uri);
    if (inputRef.kind === 'invalid') throw userError(inputRef.reason, `properties.InputData.${inputName}.Uri`);

    invocations += 1;
    const name = invocations % 2 === 0 ? `batchjob-${crypto.randomUUID()}` : crypto.randomUUID();
    const p = deployment.properties;
    const overrides = readRunSettings(req.body());
    const outputFileName = overrides.outputFileName ?? p.outputFileName;
    const defaultStore = ctx.state.defaultDatastore();
    if (!defaultStore) throw new SandboxHttpError(500, 'InternalServerError', 'the workspace has no default datastore');
    let output: BatchJobRecord['output'];
    let outputBlob: BatchJobRecord['outputBlob'];
    let requestedOutput: BatchJobRecord['requestedOutput'];
    const explicit = Object.entries(body.properties.OutputData ?? {})[0];
    if (explicit) {
      const [outputName, out] = explicit;
      const target = `properties.OutputData.${outputName}.Uri`;
      const ref = parseDataReference(out.Uri);
      if (ref.kind !== 'datastore') throw userError(`The output must be a file on a datastore (azureml://datastores/<datastore>/paths/<path>/<file>), got '${out.Uri}'`, target);
      const store = ctx.state.datastores.get(key(ref.datastore));
      if (!store) throw userError(`Datastore ${ref.datastore} was not found in workspace ${ctx.identity.workspace}`, target, 404, 'NotFound');
      const blob = ref.path.replace(/^\/+/, '');
      if (blob === '' || blob.endsWith('/')) throw userError(`The output Uri must name a file, got '${out.Uri}'`, target);
      output = { name: outputName, jobOutputType: 'uri_file', uri: out.Uri, mode: 'Upload' };
      outputBlob = { container: store.properties.containerName, path: blob };
      // **guess**: the recordings only show a job without an output ({datastoreId: null, path: null});
      // a requested output is assumed to come back as the datastore's ARM id and the path on it.
      requestedOutput = { datastoreId: `${ctx.workspacePath}/datastores/${store.name}`, path: blob };
    } else {
      const folder = `azureml/${name}/score`;
      output = { name: 'score', jobOutputType: 'uri_folder', uri: `azureml://datastores/${defaultStore.name}/paths/${folder}/`, mode: 'ReadWriteMount' };
      outputBlob = { container: defaultStore.properties.containerName, path: `${folder}/${outputFileName}` };
    }

    const codeRef = p.codeConfiguration?.codeId;
    const code = codeRef ? findAssetVersion(ctx.state, ctx.identity, 'codes', codeRef) : undefined;
    const model = p.model?.assetId ? findAssetVersion(ctx.state, ctx.identity, 'models', p.model.assetId) : undefined;
    const assets: NonNullable<BatchJobRecord['assets']> = {
      ...(code && typeof code.properties.codeUri === 'string' && p.codeConfiguration
        ? { code: { asset: code.label, uri: code.properties.codeUri, scoringScript: p.codeConfiguration.scoringScript } }
        : {}),
      ...(model && typeof model.properties.modelUri === 'string' ? { model: { asset: model.label, uri: model.properties.modelUri } } : {}),
      ...(!p.codeConfiguration && p.model?.assetId && isMlflowModel(ctx, p.model.assetId) ? { mlflowWithoutScript: true } : {}),
    };

    const job: BatchJobRecord = {
      name,
      endpointName: endpoint.name,
      deploymentName: deployment.name,
      status: 'NotStarted',
      systemData: newSystemData(ctx.actor),
      computeId: p.compute ?? undefined,
      input: { name: inputName, jobInputType: input.JobInputType === 'UriFile' ? 'uri_file' : 'uri_folder', uri: input.Uri },
      output,
      outputBlob,
      settings: applyRunSettings(
        {
          miniBatchSize: p.miniBatchSize,
          parallelism: (p.resources?.instanceCount ?? 1) * p.maxConcurrencyPerInstance,
          maxRetries: p.retrySettings?.maxRetries ?? 3,
          errorThreshold: p.errorThreshold,
          outputAction: p.outputAction,
          outputFileName: p.outputFileName,
        },
        overrides,
        { instanceCount: p.resources?.instanceCount ?? 1, maxConcurrencyPerInstance: p.maxConcurrencyPerInstance },
      ),
      tags: {},
      cancelRequested: false,
      displayName: generatedDisplayName(),
      pipelineId: crypto.randomUUID(),
      ...(requestedOutput ? { requestedOutput } : {}),
      ...(repeatabilityId ? { repeatabilityId } : {}),
      scoringRunId: crypto.randomUUID(),
      assets,
    };
    if (ctx.jobFailures.remaining > 0) {
      ctx.jobFailures.remaining -= 1;
      if (ctx.jobFailures.scenario) job.failureScenario = ctx.jobFailures.scenario;
      else job.injectedFailure = ctx.jobFailures.message;
    }
    ctx.jobs.set(name.toLowerCase(), job);
    ctx.runner.start(job);
    ctx.logger?.info({ job: name, endpoint: endpoint.name, deployment: deployment.name }, 'batch job created');
    return {
      status: 201,
      headers: {
        'X-Request-ID': crypto.randomUUID(),
        'azureml-model-deployment': deployment.name,
        Location: `${ctx.baseUrl}${ctx.workspacePath}/batchEndpoints/${endpoint.name}/deployments/${deployment.name}?api-version=2020-09-01-dataplanepreview`,
      },
      body: view(job),
    };
  });

  routes.add('GET', `${SCORING_PREFIX}/{endpointName}/jobs`, (req) => {
    const endpoint = requireEndpoint(req.params.endpointName!);
    const jobs = [...ctx.jobs.values()].filter((j) => key(j.endpointName) === key(endpoint.name));
    return { status: 200, body: { value: jobs.map(view) } };
  });

  routes.add('GET', `${SCORING_PREFIX}/{endpointName}/jobs/{jobName}`, (req) => {
    const endpoint = requireEndpoint(req.params.endpointName!);
    const job = ctx.jobs.get(req.params.jobName!.toLowerCase());
    if (!job || key(job.endpointName) !== key(endpoint.name)) {
      // **guess**: the data plane's answer for an unknown job is not recorded; NotFound as ARM's.
      throw new SandboxHttpError(404, 'NotFound', 'The specified resource was not found.', [
        { code: 'NoSuchJob', message: `There is no job with name: ${req.params.jobName} under endpoint ${endpoint.name}` },
      ]);
    }
    return { status: 200, body: view(job) };
  });
}
