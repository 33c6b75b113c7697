// Microsoft's own request/response examples for the Azure ML 2022-05-01 API, tied to the operation
// each one illustrates. The tie comes from the spec itself: every operation lists its examples under
// `x-ms-examples`, and its path template and parameters (with `in: path|query|body`) say how to turn
// an example's `parameters` back into an HTTP request.
import fs from 'node:fs';
import path from 'node:path';
import { AZURE_ML_EXAMPLES_DIR, AZURE_ML_SPEC_FILES } from '../support/azure-spec-validator';

type Json = Record<string, unknown>;

export interface SpecExample {
  /** Path under the examples directory, e.g. `BatchDeployment/createOrUpdate.json`. */
  file: string;
  operationId: string;
  method: string;
  /** The operation's path template, e.g. `/subscriptions/{subscriptionId}/…/batchEndpoints/{endpointName}`. */
  pathTemplate: string;
  pathParams: string[];
  queryParams: string[];
  /** Name of the body parameter (`body`, or `parameters` for computes), if the operation takes one. */
  bodyParam?: string;
  parameters: Json;
  /** Status codes the example documents (`"200"`, `"201"`, …). */
  statuses: string[];
}

export interface ExampleRequest {
  method: string;
  url: string;
  body?: unknown;
}

const readJson = (file: string): Json => JSON.parse(fs.readFileSync(file, 'utf8')) as Json;

/** Resolves `$ref`s of parameters (local, or into another file such as the ARM common types). */
function createRefResolver() {
  const cache = new Map<string, Json>();
  const load = (file: string): Json => {
    let doc = cache.get(file);
    if (!doc) cache.set(file, (doc = readJson(file)));
    return doc;
  };
  return function resolve(node: Json, fromFile: string): { node: Json; file: string } {
    const ref = node.$ref;
    if (typeof ref !== 'string') return { node, file: fromFile };
    const [target = '', pointer = ''] = ref.split('#');
    const file = target ? path.resolve(path.dirname(fromFile), target) : fromFile;
    let value: unknown = load(file);
    for (const part of pointer.split('/').filter(Boolean)) value = (value as Json)[part.replace(/~1/g, '/').replace(/~0/g, '~')];
    return resolve(value as Json, file);
  };
}

/** Every example of the two 2022-05-01 files, keyed by its path under the examples directory. */
export function loadSpecExamples(specsDirectory: string): Map<string, SpecExample> {
  const resolve = createRefResolver();
  const examplesDir = path.join(specsDirectory, AZURE_ML_EXAMPLES_DIR);
  const out = new Map<string, SpecExample>();
  for (const specFile of AZURE_ML_SPEC_FILES) {
    const file = path.join(specsDirectory, specFile);
    const spec = readJson(file);
    for (const [pathTemplate, item] of Object.entries(spec.paths as Record<string, Json>)) {
      const shared = (item.parameters as Json[] | undefined) ?? [];
      for (const [method, raw] of Object.entries(item)) {
        if (method === 'parameters') continue;
        const op = raw as Json;
        const params = [...shared, ...((op.parameters as Json[] | undefined) ?? [])].map((p) => resolve(p, file).node);
        const names = (where: string) => params.filter((p) => p.in === where).map((p) => String(p.name));
        for (const ex of Object.values((op['x-ms-examples'] as Record<string, Json> | undefined) ?? {})) {
          const exampleFile = path.resolve(path.dirname(file), String(ex.$ref));
          const example = readJson(exampleFile);
          const rel = path.relative(examplesDir, exampleFile).split(path.sep).join('/');
          out.set(rel, {
            file: rel,
            operationId: String(op.operationId),
            method: method.toUpperCase(),
            pathTemplate,
            pathParams: names('path'),
            queryParams: names('query'),
            bodyParam: names('body')[0],
            parameters: example.parameters as Json,
            statuses: Object.keys(example.responses as Json),
          });
        }
      }
    }
  }
  return out;
}

export interface ExampleTarget {
  baseUrl: string;
  subscriptionId: string;
  resourceGroup: string;
  workspace: string;
}

/**
 * The example's request addressed to `target`: subscription, resource group and workspace replaced,
 * other parameters as the example gives them unless `overrides` (a parameter name → value; `undefined`
 * removes a query parameter) says otherwise. `body` replaces the example's body.
 */
export function exampleRequest(
  example: SpecExample,
  target: ExampleTarget,
  adapt: { params?: Record<string, unknown>; body?: (body: Json) => Json } = {},
): ExampleRequest {
  const params: Record<string, unknown> = {
    ...example.parameters,
    subscriptionId: target.subscriptionId,
    resourceGroupName: target.resourceGroup,
    workspaceName: target.workspace,
    ...adapt.params,
  };
  const pathname = example.pathTemplate.replace(/\{([^}]+)\}/g, (_m, name: string) => {
    const value = params[name];
    if (value === undefined) throw new Error(`${example.file}: no value for path parameter ${name}`);
    return encodeURIComponent(String(value));
  });
  const url = new URL(pathname, target.baseUrl);
  for (const name of example.queryParams) {
    const value = params[name];
    if (value === undefined) continue;
    for (const v of Array.isArray(value) ? value : [value]) url.searchParams.append(name, String(v));
  }
  const exampleBody = example.bodyParam ? (params[example.bodyParam] as Json | undefined) : undefined;
  const body = exampleBody === undefined ? undefined : adapt.body ? adapt.body(structuredClone(exampleBody)) : exampleBody;
  return { method: example.method, url: url.toString(), body };
}
