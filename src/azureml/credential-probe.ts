// A worker asks for one resource-manager token at start, so a machine without any working Azure
// credential says so at once, in one line, instead of failing every request later. The line names the
// credentials DefaultAzureCredential tried (its AggregateAuthenticationError lists one error per
// credential, each message starting with the credential's name) and how to give the worker one.
import type { TokenCredential } from './credentials';

export const CREDENTIAL_FIX =
  'give the worker a managed identity (AZURE_CLIENT_ID for a user-assigned one), or set AZURE_TENANT_ID, AZURE_CLIENT_ID and AZURE_CLIENT_SECRET for a service principal, or run `az login` on a developer machine';

// Some credentials (in @azure/identity 4) do not start their message with their name: recognise them by it.
const KNOWN_MESSAGES: ReadonlyArray<readonly [RegExp, string]> = [
  [/Azure Developer CLI/i, 'AzureDeveloperCliCredential'],
  [/Azure CLI/i, 'AzureCliCredential'],
  [/PowerShell/i, 'AzurePowerShellCredential'],
  [/Visual Studio Code/i, 'VisualStudioCodeCredential'],
  [/workload identity/i, 'WorkloadIdentityCredential'],
  [/managed identity/i, 'ManagedIdentityCredential'],
];

/** The credential names an authentication error reports ("EnvironmentCredential", …), in order, without repeats. */
export function triedCredentials(err: unknown): string[] {
  const errors = (err as { errors?: unknown } | null)?.errors;
  const messages = Array.isArray(errors) ? errors.map((e) => String((e as { message?: unknown } | null)?.message ?? '')) : [String((err as Error | null)?.message ?? '')];
  const names = messages.flatMap((m) => /\b([A-Z]\w*Credential)\b/.exec(m)?.[1] ?? KNOWN_MESSAGES.find(([pattern]) => pattern.test(m))?.[1] ?? []);
  return [...new Set(names)];
}

/** One sentence for the log: what was tried and how to fix it (never a token or secret: only names). */
export function credentialFailureLine(err: unknown): string {
  const tried = triedCredentials(err);
  return `no working Azure credential: ${tried.length ? `tried ${tried.join(', ')}` : 'the credential failed'}, none gave a token; ${CREDENTIAL_FIX}`;
}

/** Resolves undefined when a token was obtained, or the one-line reason when none could be (within `timeoutMs`). */
export async function probeCredential(credential: TokenCredential, scope: string, timeoutMs = 20_000): Promise<string | undefined> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<string>((resolve) => {
    timer = setTimeout(() => resolve(`no Azure token within ${timeoutMs / 1000} s at start (is the identity endpoint reachable?); ${CREDENTIAL_FIX}`), timeoutMs);
    timer.unref();
  });
  try {
    return await Promise.race([
      credential.getToken(scope).then((token) => (token ? undefined : credentialFailureLine(undefined)), (err: unknown) => credentialFailureLine(err)),
      timeout,
    ]);
  } finally {
    clearTimeout(timer);
  }
}
