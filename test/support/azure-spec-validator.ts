// Checks HTTP exchanges against Azure's own description of the Azure ML resource-manager API
// (azure-rest-api-specs, 2022-05-01: mfe.json for endpoints, deployments, assets, datastores and jobs;
// machineLearningServices.json for workspaces and computes) with Azure's own validator, oav's
// LiveValidator. A plain JSON-schema validator misreads the spec's `allOf` + `additionalProperties:
// false` compositions (see ../shared/notes/azure-spec-validation.md), so we do not build on one.
//
// Scope rule: only ARM resource exchanges are in the spec. An exchange is validated when its path is
// under `/subscriptions/…` and is not an operation status/result URL (`…/locations/{loc}/
// {mfe|compute}OperationsStatus|OperationResults/{id}`: ARM's async-operation protocol, which the
// 2022-05-01 files do not describe). Everything else — the batch scoring data plane (`/inference/…`),
// the sandbox's `/_admin/…`, the public data server, blob storage — is skipped with a named reason and
// counted, so a test can assert what was covered instead of trusting silence.
//
// Host and port: oav matches operations by path, method and api-version only (its search uses the host
// solely for `x-ms-parameterized-host` paths, which these files do not have), so the sandbox's
// `http://127.0.0.1:N/subscriptions/…` URLs are matched as they are: measured, a batch deployment PUT to
// 127.0.0.1 and to management.azure.com yields the same operation and the same errors. We keep the URL.
import fs from 'node:fs';
import path from 'node:path';
import JSON5 from 'json5';
import { LiveValidator, type LiveValidationIssue, type LiveValidationResult } from 'oav';

/** The spec files (relative to the `specification` directory) that describe what we call. */
export const AZURE_ML_SPEC_FILES = [
  'machinelearningservices/resource-manager/Microsoft.MachineLearningServices/stable/2022-05-01/mfe.json',
  'machinelearningservices/resource-manager/Microsoft.MachineLearningServices/stable/2022-05-01/machineLearningServices.json',
] as const;

/** Where Microsoft's examples for the files above live, relative to the `specification` directory. */
export const AZURE_ML_EXAMPLES_DIR = 'machinelearningservices/resource-manager/Microsoft.MachineLearningServices/stable/2022-05-01/examples';

export class AzureSpecsNotFoundError extends Error {
  override readonly name = 'AzureSpecsNotFoundError';
  constructor(readonly directory: string, readonly missing: string[]) {
    super(
      `Azure ML OpenAPI specs not found: ${missing.join(', ')} missing under ${directory}. ` +
        'The contract tests expect the shared folder next to the repository (../shared/azureml/specs/specification, ' +
        'copied from Azure/azure-rest-api-specs) or AZURE_SPECS_DIR pointing at a `specification` directory that holds them.',
    );
  }
}

/** The `specification` directory: $AZURE_SPECS_DIR, else ../shared/azureml/specs/specification next to the repo. */
export function resolveSpecsDirectory(env: NodeJS.ProcessEnv = process.env): string {
  const fromEnv = env.AZURE_SPECS_DIR?.trim();
  const directory = fromEnv ? path.resolve(fromEnv) : path.resolve(__dirname, '../../../shared/azureml/specs/specification');
  const missing = AZURE_ML_SPEC_FILES.filter((file) => !fs.existsSync(path.join(directory, file)));
  if (missing.length > 0) throw new AzureSpecsNotFoundError(directory, missing);
  return directory;
}

/** One request/response pair. Bodies may be raw text (as recorded on the wire) or parsed values. */
export interface HttpExchange {
  method: string;
  url: string;
  requestHeaders?: Record<string, string>;
  requestBody?: unknown;
  status: number;
  responseHeaders?: Record<string, string>;
  responseBody?: unknown;
}

export interface SpecIssue {
  /** oav's error code (INVALID_TYPE, ENUM_CASE_MISMATCH, OBJECT_ADDITIONAL_PROPERTIES, …) or BODY_NOT_JSON. */
  code: string;
  /** JSON path in the body (`$.properties.miniBatchSize`), or the header/parameter concerned. */
  path: string;
  message: string;
}

export interface SideValidation {
  ok: boolean;
  errors: SpecIssue[];
}

export type SkipReason = 'data-plane' | 'operation-status' | 'sandbox-admin';

export const SKIP_REASONS: Record<SkipReason, string> = {
  'data-plane': 'not an ARM path (batch scoring URI, public data, storage): the data plane is not in the resource-manager spec',
  'operation-status': "ARM's async-operation status/result URL (Azure-AsyncOperation / Location): not described in the 2022-05-01 files",
  'sandbox-admin': "the sandbox's own /_admin control surface",
};

export interface ValidatedExchange {
  scope: 'arm';
  exchange: HttpExchange;
  /** The spec operation oav matched, e.g. `BatchDeployments_CreateOrUpdate` (`unknownOperationId` if none). */
  operationId: string;
  request: SideValidation;
  response: SideValidation;
}

export interface SkippedExchange {
  scope: 'skipped';
  exchange: HttpExchange;
  reason: SkipReason;
}

export type ExchangeVerdict = ValidatedExchange | SkippedExchange;

export interface SpecCoverageReport {
  validated: ValidatedExchange[];
  skipped: SkippedExchange[];
  skippedByReason: Partial<Record<SkipReason, number>>;
  /** Distinct operationIds validated, sorted. */
  operationIds: string[];
  /** Validated exchanges with an error on either side. */
  failures: ValidatedExchange[];
}

/** Applies the scope rule above to a URL. */
export function specScopeOf(url: string): { scope: 'arm' } | { scope: 'skipped'; reason: SkipReason } {
  const segments = new URL(url, 'http://127.0.0.1').pathname.split('/').filter(Boolean).map((s) => s.toLowerCase());
  if (segments[0] === '_admin') return { scope: 'skipped', reason: 'sandbox-admin' };
  if (segments[0] !== 'subscriptions') return { scope: 'skipped', reason: 'data-plane' };
  const at = segments.indexOf('locations');
  if (at >= 0 && /operations?(status|results)$/.test(segments[at + 2] ?? '')) return { scope: 'skipped', reason: 'operation-status' };
  return { scope: 'arm' };
}

/** The shape the Azure ML sandbox records (sandbox/azureml/request-log.ts), minus what we do not need. */
export interface RecordedHttpExchange {
  method: string;
  url: string;
  headers: Record<string, string>;
  body: string;
  status: number;
  responseHeaders: Record<string, string>;
  responseBody: string;
}

export function fromRecordedExchange(x: RecordedHttpExchange): HttpExchange {
  return {
    method: x.method,
    url: x.url,
    requestHeaders: x.headers,
    requestBody: x.body,
    status: x.status,
    responseHeaders: x.responseHeaders,
    responseBody: x.responseBody,
  };
}

export interface AzureSpecValidator {
  readonly specsDirectory: string;
  validateExchange(exchange: HttpExchange): Promise<ExchangeVerdict>;
  /** Validates each exchange in order (the validator is not re-entrant) and sums up coverage. */
  validateExchanges(exchanges: readonly HttpExchange[]): Promise<SpecCoverageReport>;
}

type ParsedBody = { value: unknown; issue?: SpecIssue };

/** Raw text → value. Lenient JSON (trailing commas) still validates, but is itself reported: the wire format is JSON. */
function parseBody(body: unknown, side: 'request' | 'response'): ParsedBody {
  if (typeof body !== 'string') return { value: body === undefined ? undefined : structuredClone(body) };
  if (body.trim() === '') return { value: undefined };
  try {
    return { value: JSON.parse(body) };
  } catch (strictError) {
    const issue: SpecIssue = {
      code: 'BODY_NOT_JSON',
      path: '$',
      message: `the ${side} body is not JSON (${strictError instanceof Error ? strictError.message : String(strictError)}); Content-Type application/json requires strict JSON`,
    };
    try {
      return { value: JSON5.parse(body), issue };
    } catch {
      return { value: undefined, issue };
    }
  }
}

function lowerKeys(headers: Record<string, string> | undefined): Record<string, string> {
  return Object.fromEntries(Object.entries(headers ?? {}).map(([k, v]) => [k.toLowerCase(), v]));
}

function toIssues(result: LiveValidationResult): SpecIssue[] {
  const issues: SpecIssue[] = result.errors.map((e: LiveValidationIssue) => ({
    code: String(e.code),
    path: e.jsonPathsInPayload?.[0] ?? e.pathsInPayload?.[0] ?? '',
    message: e.message,
  }));
  if (result.runtimeException) {
    issues.push({ code: result.runtimeException.code, path: '', message: result.runtimeException.message });
  }
  return issues;
}

function side(errors: SpecIssue[]): SideValidation {
  return { ok: errors.length === 0, errors };
}

/** Builds the LiveValidator over the two 2022-05-01 files (~0.3–0.5 s); call once per test file. */
export async function createAzureSpecValidator(opts: { specsDirectory?: string } = {}): Promise<AzureSpecValidator> {
  const specsDirectory = opts.specsDirectory ?? resolveSpecsDirectory();
  const loadErrors: string[] = [];
  const live = new LiveValidator(
    {
      directory: specsDirectory,
      swaggerPathsPattern: [...AZURE_ML_SPEC_FILES],
      git: { shouldClone: false },
      // ARM's long-running-operation rules too (status codes per method; for responses the spec gives a
      // schema, a 202 must carry Location or Azure-AsyncOperation).
      isArmCall: true,
      // Build each operation's validator when first used (what we validate is a handful of operations),
      // not in a background loop that outlives the test file.
      loadValidatorInBackground: false,
    },
    // oav logs through winston by default; keep the test output quiet but remember load failures,
    // which it otherwise only logs (a spec that fails to load would make every exchange "not found").
    (message, level) => {
      if (level === 'error') loadErrors.push(message);
    },
  );
  await live.initialize();
  const failedLoads = loadErrors.filter((m) => /Failed to load spec|Unable to initialize/i.test(m));
  if (live.swaggerList.length !== AZURE_ML_SPEC_FILES.length || failedLoads.length > 0) {
    throw new Error(`oav could not load the Azure ML specs from ${specsDirectory}: ${failedLoads.join('; ') || `loaded ${live.swaggerList.join(', ')}`}`);
  }

  async function validateExchange(exchange: HttpExchange): Promise<ExchangeVerdict> {
    const scope = specScopeOf(exchange.url);
    if (scope.scope === 'skipped') return { scope: 'skipped', exchange, reason: scope.reason };

    const requestBody = parseBody(exchange.requestBody, 'request');
    const responseBody = parseBody(exchange.responseBody, 'response');
    const request = await live.validateLiveRequest({
      url: exchange.url,
      method: exchange.method,
      headers: lowerKeys(exchange.requestHeaders),
      body: requestBody.value as Record<string, unknown> | undefined,
    });
    const response = await live.validateLiveResponse(
      {
        statusCode: String(exchange.status),
        headers: lowerKeys(exchange.responseHeaders),
        body: responseBody.value as Record<string, unknown> | undefined,
      },
      { url: exchange.url, method: exchange.method },
    );
    return {
      scope: 'arm',
      exchange,
      operationId: request.operationInfo.operationId,
      request: side([...(requestBody.issue ? [requestBody.issue] : []), ...toIssues(request)]),
      response: side([...(responseBody.issue ? [responseBody.issue] : []), ...toIssues(response)]),
    };
  }

  return {
    specsDirectory,
    validateExchange,
    async validateExchanges(exchanges) {
      const validated: ValidatedExchange[] = [];
      const skipped: SkippedExchange[] = [];
      for (const exchange of exchanges) {
        const verdict = await validateExchange(exchange);
        if (verdict.scope === 'arm') validated.push(verdict);
        else skipped.push(verdict);
      }
      const skippedByReason: Partial<Record<SkipReason, number>> = {};
      for (const s of skipped) skippedByReason[s.reason] = (skippedByReason[s.reason] ?? 0) + 1;
      return {
        validated,
        skipped,
        skippedByReason,
        operationIds: [...new Set(validated.map((v) => v.operationId))].sort(),
        failures: validated.filter((v) => !v.request.ok || !v.response.ok),
      };
    },
  };
}

// --- readable failures -------------------------------------------------------------------------

const SECRET_KEY = /(^|_)(key|secret|password|token|sas|sastoken|clientsecret|connectionstring|authorization)$/i;

/** Test output must not carry secrets either (account keys in datastore bodies, tokens in headers). */
function redactForDisplay(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(redactForDisplay);
  if (value === null || typeof value !== 'object') return value;
  return Object.fromEntries(
    Object.entries(value).map(([k, v]) => [k, SECRET_KEY.test(k) && typeof v === 'string' ? '<redacted>' : redactForDisplay(v)]),
  );
}

function showBody(body: unknown): string {
  const parsed = parseBody(body, 'request').value;
  if (parsed === undefined) return typeof body === 'string' && body.trim() !== '' ? '(unparseable body)' : '(none)';
  const text = JSON.stringify(redactForDisplay(parsed), null, 2);
  return text.length > 2_500 ? `${text.slice(0, 2_500)}\n… (${text.length - 2_500} more characters)` : text;
}

const showIssues = (issues: SpecIssue[]): string =>
  issues.length === 0 ? 'spec-valid' : issues.map((i) => `\n    - ${i.code} at ${i.path || '(operation)'}: ${i.message}`).join('');

/** A readable account of one validated exchange: the operation, both verdicts and both bodies. */
export function describeValidation(v: ValidatedExchange, sides: 'request' | 'response' | 'both' = 'both'): string {
  const x = v.exchange;
  const lines = [`${x.method} ${x.url} → ${x.status}  [${v.operationId}]`];
  if (sides !== 'response') lines.push(`  request: ${showIssues(v.request.errors)}`, `  request body:\n${showBody(x.requestBody)}`);
  if (sides !== 'request') lines.push(`  response: ${showIssues(v.response.errors)}`, `  response body:\n${showBody(x.responseBody)}`);
  return lines.join('\n');
}

export class SpecViolationError extends Error {
  override readonly name = 'SpecViolationError';
}

/** Throws a SpecViolationError that prints the exchange(s) unless every chosen side is spec-valid. */
export function expectSpecValid(
  verdicts: ExchangeVerdict | readonly ExchangeVerdict[],
  sides: 'request' | 'response' | 'both' = 'both',
): void {
  const list = (Array.isArray(verdicts) ? verdicts : [verdicts]) as readonly ExchangeVerdict[];
  const bad = list.filter(
    (v): v is ValidatedExchange => v.scope === 'arm' && ((sides !== 'response' && !v.request.ok) || (sides !== 'request' && !v.response.ok)),
  );
  const notValidated = list.filter((v): v is SkippedExchange => v.scope === 'skipped');
  if (!Array.isArray(verdicts) && notValidated.length > 0) {
    const s = notValidated[0]!;
    throw new SpecViolationError(`${s.exchange.method} ${s.exchange.url} was not validated: ${SKIP_REASONS[s.reason]}`);
  }
  if (bad.length === 0) return;
  throw new SpecViolationError(
    `${bad.length} exchange(s) violate the Azure ML 2022-05-01 spec (${sides}):\n\n${bad.map((v) => describeValidation(v, sides)).join('\n\n')}`,
  );
}
