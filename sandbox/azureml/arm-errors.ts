// Errors the sandbox answers with, in ARM's ErrorResponse shape
// (common-types/resource-management/v3/types.json#/definitions/ErrorResponse: {error:{code,message,target?,details?}}).
// Route code throws SandboxHttpError; the server turns it into the response.

import crypto from 'node:crypto';

export interface ArmErrorDetail {
  code: string;
  message: string;
  target?: string;
  details?: ArmErrorDetail[];
  additionalInfo?: unknown[];
}

const randomHex = (chars: number): string => crypto.randomBytes(Math.ceil(chars / 2)).toString('hex').slice(0, chars);

/** The additionalInfo the resource provider adds to its errors (recorded on 404 and 400 answers). */
function diagnosticInfo(): Array<{ type: string; info: unknown }> {
  return [
    { type: 'ComponentName', info: { value: 'managementfrontend' } },
    { type: 'Correlation', info: { value: { operation: randomHex(32), request: randomHex(16) } } },
    { type: 'Time', info: { value: new Date().toISOString() } },
  ];
}

export class SandboxHttpError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    readonly details?: ArmErrorDetail[],
    readonly headers: Record<string, string> = {},
    readonly target?: string,
    /** ARM's additionalInfo list (the resource provider adds component, correlation, region, time). */
    readonly additionalInfo?: Array<{ type: string; info: unknown }>,
  ) {
    super(message);
    this.name = 'SandboxHttpError';
  }

  body(): { error: ArmErrorDetail } {
    return {
      error: {
        code: this.code,
        message: this.message,
        ...(this.target ? { target: this.target } : {}),
        ...(this.details?.length ? { details: this.details } : {}),
        ...(this.additionalInfo ? { additionalInfo: this.additionalInfo } : {}),
      },
    };
  }
}

/** The detail code and words the resource provider puts under a 404, per resource type. */
const NOT_FOUND_DETAILS: Record<string, { code: string; what: string }> = {
  // Recorded: test_batch_endpoint_create.json #10 ("There is no endpoint with name: {name} in {workspace}").
  'workspaces/batchendpoints': { code: 'NoSuchEndpoint', what: 'endpoint' },
  // **guess**: the other types follow the recorded endpoint pattern.
  'workspaces/batchendpoints/deployments': { code: 'NoSuchDeployment', what: 'deployment' },
  'workspaces/jobs': { code: 'NoSuchJob', what: 'job' },
  'workspaces/computes': { code: 'NoSuchCompute', what: 'compute' },
  'workspaces/datastores': { code: 'NoSuchDatastore', what: 'datastore' },
};

/**
 * The resource provider's answer when a resource does not exist, as recorded
 * (test_batch_endpoint_create.json #10): 404 `NotFound`, "The specified resource was not found.", and a
 * detail naming what is missing (`NoSuchEndpoint`…). The workspace itself missing is ARM's own
 * `ResourceNotFound` (the request never reaches the provider).
 */
export function resourceNotFound(type: string, name: string, resourceGroup: string): SandboxHttpError {
  const short = type.replace(/^Microsoft\.MachineLearningServices\//i, '').toLowerCase();
  if (short === 'workspaces') {
    return new SandboxHttpError(
      404,
      'ResourceNotFound',
      `The Resource '${type}/${name}' under resource group '${resourceGroup}' was not found. For more details please go to https://aka.ms/ARMResourceNotFoundFix`,
    );
  }
  const [workspace, ...rest] = name.split('/');
  const detail = NOT_FOUND_DETAILS[short];
  const leaf = rest.length > 0 ? rest[rest.length - 1] : name;
  return new SandboxHttpError(
    404,
    'NotFound',
    'The specified resource was not found.',
    detail ? [{ code: detail.code, message: `There is no ${detail.what} with name: ${leaf} in ${workspace}`, details: [], additionalInfo: [] }] : undefined,
    {},
    undefined,
    diagnosticInfo(),
  );
}

/** A body that does not fit the resource: one detail per field, `target` is the JSON path. */
export function invalidBody(details: ArmErrorDetail[]): SandboxHttpError {
  const summary = details.map((d) => (d.target ? `${d.target}: ${d.message}` : d.message)).join('; ');
  return new SandboxHttpError(400, 'UserError', `The request body is invalid: ${summary}`, details, {}, undefined, diagnosticInfo());
}

export function userError(message: string, target?: string, status = 400, code = 'UserError'): SandboxHttpError {
  return new SandboxHttpError(
    status,
    code,
    message,
    target ? [{ code: status === 404 ? 'NotFound' : 'Invalid', message, target }] : undefined,
    {},
    target,
    diagnosticInfo(),
  );
}

export function missingApiVersion(): SandboxHttpError {
  return new SandboxHttpError(
    400,
    'MissingApiVersionParameter',
    "The api-version query parameter (?api-version=) is required for all requests.",
  );
}

export function unsupportedApiVersion(version: string, supported: readonly string[]): SandboxHttpError {
  return new SandboxHttpError(
    400,
    'NoRegisteredProviderFound',
    `No registered resource provider found for location and API version '${version}'. The supported api-versions are '${supported.join(', ')}'.`,
  );
}

export function conflict(message: string): SandboxHttpError {
  return new SandboxHttpError(409, 'Conflict', message);
}

export function methodNotAllowed(method: string, path: string): SandboxHttpError {
  return new SandboxHttpError(405, 'MethodNotAllowed', `The HTTP method '${method}' is not supported at '${path}'.`);
}

export function noRoute(path: string): SandboxHttpError {
  return new SandboxHttpError(
    404,
    'InvalidResourceType',
    `The resource type could not be found for the request path '${path}'.`,
  );
}
