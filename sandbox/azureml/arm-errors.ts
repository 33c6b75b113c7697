// Errors the sandbox answers with, in ARM's ErrorResponse shape
// (common-types/resource-management/v3/types.json#/definitions/ErrorResponse: {error:{code,message,target?,details?}}).
// Route code throws SandboxHttpError; the server turns it into the response.

export interface ArmErrorDetail {
  code: string;
  message: string;
  target?: string;
  details?: ArmErrorDetail[];
}

export class SandboxHttpError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    readonly details?: ArmErrorDetail[],
    readonly headers: Record<string, string> = {},
    readonly target?: string,
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
      },
    };
  }
}

/** ARM's answer when the resource (or its parent) does not exist. */
export function resourceNotFound(type: string, name: string, resourceGroup: string): SandboxHttpError {
  return new SandboxHttpError(
    404,
    'ResourceNotFound',
    `The Resource '${type}/${name}' under resource group '${resourceGroup}' was not found. For more details please go to https://aka.ms/ARMResourceNotFoundFix`,
  );
}

/** A body that does not fit the resource: one detail per field, `target` is the JSON path. */
export function invalidBody(details: ArmErrorDetail[]): SandboxHttpError {
  const summary = details.map((d) => (d.target ? `${d.target}: ${d.message}` : d.message)).join('; ');
  return new SandboxHttpError(400, 'UserError', `The request body is invalid: ${summary}`, details);
}

export function userError(message: string, target?: string, status = 400, code = 'UserError'): SandboxHttpError {
  return new SandboxHttpError(
    status,
    code,
    message,
    target ? [{ code: status === 404 ? 'NotFound' : 'Invalid', message, target }] : undefined,
    {},
    target,
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
