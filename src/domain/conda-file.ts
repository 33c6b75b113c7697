// A conda file as the deploy form and the CLI take it (EnvironmentVersion.condaFile: the YAML text).
// Two things are read from it here, both pure:
//
// - Credentials. A private index is often written with its token in the URL
//   (`--extra-index-url https://user:token@host/simple`, `--index-url`, `-i`, a channel URL, anaconda.org's
//   `/t/<token>/` form, or a `?token=` query). Such a file is refused where it enters, never stored: Azure
//   ML keeps condaFile in clear in the environment version (anyone who can read the workspace sees it),
//   so holding it encrypted on our side would protect nothing. Azure ML's own answer for a private feed
//   is a workspace connection (category PythonFeed, the token kept by the workspace) and an index URL
//   without user info; that is what the refusal points to.
// - A summary for approvers: channels, packages (a bounded list) and index URLs (user info removed),
//   so the person who approves sees what the environment will install.
import { parse as parseYaml } from 'yaml';

/** Where a credential was seen: the option or key it came with, and the URL's host (never the secret). */
export interface CondaCredential {
  where: string;
  host: string;
}

const URL_IN_TEXT = /\b[a-z][a-z0-9+.-]*:\/\/[^\s"'<>]+/gi;
/** Query parameters that carry a credential in package-index URLs (pip, conda, Azure DevOps, SAS). */
const SECRET_QUERY = /^(token|access_token|auth|key|api[-_]?key|secret|password|passwd|pwd|sig)$/i;
/** The pip options that name an index; anything else is a channel or a plain URL. */
const INDEX_OPTION = /(--extra-index-url|--index-url|--find-links|-i|-f)(?:\s*=\s*|\s+)$/;

function authorityOf(url: string): { userInfo: string; host: string; rest: string } | undefined {
  const m = /^([a-z][a-z0-9+.-]*:\/\/)([^/?#]*)(.*)$/i.exec(url);
  if (!m) return undefined;
  const authority = m[2] ?? '';
  const at = authority.lastIndexOf('@');
  return { userInfo: at >= 0 ? authority.slice(0, at) : '', host: at >= 0 ? authority.slice(at + 1) : authority, rest: m[3] ?? '' };
}

function carriesCredential(url: string): boolean {
  const parts = authorityOf(url);
  if (!parts) return false;
  // `ssh://git@host/…` names the SSH user (the key stays on the machine); a user info with a password, or
  // on any other scheme (`https://<token>@host`), is a credential.
  const sshUserOnly = /^(git\+)?ssh:\/\//i.test(url) && !parts.userInfo.includes(':');
  if (parts.userInfo !== '' && !sshUserOnly) return true;
  // anaconda.org's private channels: https://conda.anaconda.org/t/<token>/<channel>
  if (/^\/t\/[^/]+\//.test(parts.rest)) return true;
  const query = parts.rest.split('#')[0]?.split('?')[1];
  if (query) {
    for (const pair of query.split('&')) {
      const name = decodeURIComponentSafe(pair.split('=')[0] ?? '');
      if (SECRET_QUERY.test(name)) return true;
    }
  }
  return false;
}

function decodeURIComponentSafe(text: string): string {
  try {
    return decodeURIComponent(text);
  } catch {
    return text;
  }
}

/** Every URL in the file that carries a credential: user info, a `/t/<token>/` path or a secret query. */
export function condaCredentials(text: string): CondaCredential[] {
  const found: CondaCredential[] = [];
  for (const m of text.matchAll(URL_IN_TEXT)) {
    const url = m[0];
    if (!carriesCredential(url)) continue;
    const before = text.slice(Math.max(0, (m.index ?? 0) - 40), m.index);
    const option = INDEX_OPTION.exec(before)?.[1];
    found.push({ where: option ?? 'a URL', host: (authorityOf(url)?.host ?? '').slice(0, 100) });
  }
  return found;
}

/** The refusal, in plain text (a form field error is not mrkdwn); names where, never the secret. */
export function condaCredentialRefusal(found: readonly CondaCredential[]): string {
  const places = [...new Set(found.map((f) => `${f.where} ${f.host}`))].slice(0, 3).join(', ');
  return (
    `The conda file carries a credential (${places}). It is not taken: the bot would have to store it, and Azure ML ` +
    'keeps the conda file in clear in the environment. Give the index without a user or token, and keep the token in ' +
    "the workspace (an Azure ML workspace connection for a private Python feed), or use a registered environment."
  );
}

/** The URL with user info, a `/t/<token>/` segment and secret query values taken out. */
export function withoutCredentials(url: string): string {
  const parts = authorityOf(url);
  if (!parts) return url;
  const scheme = /^[a-z][a-z0-9+.-]*:\/\//i.exec(url)?.[0] ?? '';
  let rest = parts.rest.replace(/^\/t\/[^/]+\//, '/t/[redacted]/');
  rest = rest.replace(/([?&])([^=&#]+)=([^&#]*)/g, (all, sep: string, name: string) =>
    SECRET_QUERY.test(decodeURIComponentSafe(name)) ? `${sep}${name}=[redacted]` : all,
  );
  return `${scheme}${parts.userInfo ? '[redacted]@' : ''}${parts.host}${rest}`;
}

export interface CondaSummary {
  /** False when the text is not a YAML mapping (Azure ML is then the one to refuse it). */
  readable: boolean;
  name?: string;
  channels: string[];
  /** conda dependencies (`python=3.10`, `numpy`), in file order. */
  packages: string[];
  /** pip requirements that are packages (not options). */
  pipPackages: string[];
  /** Index URLs from pip options and URL channels, credentials taken out. */
  indexUrls: string[];
}

function strings(value: unknown): string[] {
  return Array.isArray(value) ? value.filter((v): v is string | number => typeof v === 'string' || typeof v === 'number').map(String) : [];
}

/** Reads what an approver needs to see; never throws. */
export function summarizeCondaFile(text: string): CondaSummary {
  const summary: CondaSummary = { readable: false, channels: [], packages: [], pipPackages: [], indexUrls: [] };
  let doc: unknown;
  try {
    doc = parseYaml(text, { maxAliasCount: 10 });
  } catch {
    return summary;
  }
  if (typeof doc !== 'object' || doc === null || Array.isArray(doc)) return summary;
  const env = doc as Record<string, unknown>;
  summary.readable = true;
  if (typeof env.name === 'string') summary.name = env.name;
  for (const channel of strings(env.channels)) {
    summary.channels.push(/:\/\//.test(channel) ? withoutCredentials(channel) : channel);
  }
  const deps = Array.isArray(env.dependencies) ? env.dependencies : [];
  for (const dep of deps) {
    if (typeof dep === 'string' || typeof dep === 'number') summary.packages.push(String(dep));
    else if (typeof dep === 'object' && dep !== null && 'pip' in dep) {
      for (const line of strings((dep as { pip: unknown }).pip)) readPipLine(line.trim(), summary);
    }
  }
  return summary;
}

function readPipLine(line: string, summary: CondaSummary): void {
  const option = /^(--extra-index-url|--index-url|--find-links|-i|-f)(?:\s*=\s*|\s+)(\S+)/.exec(line);
  if (option) {
    summary.indexUrls.push(withoutCredentials(option[2] ?? ''));
    return;
  }
  if (line.startsWith('-')) return; // other pip options (-r, --pre, …) install nothing by themselves
  summary.pipPackages.push(/:\/\//.test(line) ? withoutCredentials(line) : line);
}
