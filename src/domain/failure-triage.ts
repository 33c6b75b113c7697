// Why a batch scoring job failed, read from what the service said and what the job's logs say, and the
// one sentence that fixes it. Pure: texts in, triage out. The recognised messages are the ones Microsoft's
// "Troubleshoot batch endpoints" page quotes ("Message logged") and those public issue reports show;
// each recogniser names its source in docs/sandbox-fidelity.md.

export type FailureKind =
  | 'init-raised'
  | 'run-raised'
  | 'no-succeeded-mini-batch'
  | 'output-exists'
  | 'input-access'
  | 'no-nodes'
  | 'token-audience'
  | 'scoring-script-missing'
  | 'asset-files-missing';

interface Recogniser {
  kind: FailureKind;
  /** Any of these in any of the texts. */
  patterns: RegExp[];
  fix: string;
}

const RUN_RAISED_FIX =
  "The scoring script's run() raised: fix the error above in the script (or the input files it names), redeploy, and run again.";

// Order matters: a traceback names the function that raised, so it beats the job-level summaries.
const RECOGNISERS: readonly Recogniser[] = [
  {
    kind: 'token-audience',
    patterns: [/InvalidAuthenticationTokenAudience/, /obtained for wrong audience/i, /audience validation failed/i],
    fix: 'The token was issued for another resource: the batch scoring API needs a token for the Azure ML audience (https://ml.azure.com, or your cloud\'s), not the management one.',
  },
  {
    kind: 'no-nodes',
    patterns: [/AzureMLCompute cluster only has \d+ maximum nodes/i, /exceed(?:s|ing)? (?:the )?quota/i, /quota (?:limit|exceeded)/i, /insufficient (?:core )?quota/i],
    fix: 'The compute cluster could not get nodes: raise its maximum instance count or request more vCPU quota for its VM family, then run again.',
  },
  {
    kind: 'input-access',
    patterns: [/StreamAccessException/, /ScriptExecution\.StreamAccess\.Authentication/, /Can't mount Dataset/i, /Cannot mount Dataset/i],
    fix: "The compute cluster's managed identity cannot read the input: give it Storage Blob Data Reader on the input's storage account (or use a datastore with credentials).",
  },
  {
    kind: 'output-exists',
    patterns: [/output file .* already exists/i, /OutputAlreadyExists/],
    fix: 'Batch scoring never overwrites results: choose a new output file name or an empty output folder.',
  },
  {
    // The batch driver imports the entry script by module name (public report: Azure/MachineLearningNotebooks#1753).
    kind: 'scoring-script-missing',
    patterns: [/EntryScriptException: No module named/],
    fix: "The deployment's code has no scoring script by the name the deployment gives (the script is imported as a Python module: a .py file in the code folder). Put the script back, or deploy again with the right folder and script name, then run again.",
  },
  {
    // Our wording, not Azure's (a guess: docs/sandbox-fidelity.md); Azure's own words are not documented.
    kind: 'asset-files-missing',
    patterns: [/The (?:code|model) of this deployment could not be (?:downloaded|mounted): no files at/],
    fix: "The deployment's code or model files are no longer where its asset version points (deleted or moved after it was deployed): deploy again so they are uploaded anew, then run again.",
  },
  {
    kind: 'init-raised',
    patterns: [/File "[^"]*", line \d+, in init\b/],
    fix: "The scoring script's init() raised before scoring anything: fix the error above (often the model path or a package missing from the environment), redeploy, and run again.",
  },
  {
    kind: 'run-raised',
    patterns: [/File "[^"]*", line \d+, in run\b/],
    fix: RUN_RAISED_FIX,
  },
  {
    kind: 'no-succeeded-mini-batch',
    patterns: [/No succeeded mini batch item returned from run\(\)/i],
    fix: 'No input file got a result from run(): check that the input files are in the format the scoring script reads, and that run() returns one row per file.',
  },
  {
    kind: 'run-raised',
    patterns: [/User program failed with Exception/i],
    fix: RUN_RAISED_FIX,
  },
];

export interface Recognised {
  kind: FailureKind;
  fix: string;
}

export function recogniseFailure(texts: ReadonlyArray<string | undefined>): Recognised | undefined {
  const present = texts.filter((t): t is string => typeof t === 'string' && t.length > 0);
  for (const r of RECOGNISERS) {
    if (present.some((t) => r.patterns.some((p) => p.test(t)))) return { kind: r.kind, fix: r.fix };
  }
  return undefined;
}

const TIMESTAMP = /^\s*(?:\[?\d{4}-\d{2}-\d{2}[ T][\d:.,]+Z?\]?\s*(?:\|[A-Z]+\|)?\s*)/;
/** "10.0.0.4 process000: " — which worker said it, noise next to what it said. */
const NODE_PREFIX = /^\d{1,3}(?:\.\d{1,3}){3} process\d+:\s*/;
const NOISE = [/^Traceback \(most recent call last\):$/, /^During handling of the above exception/, /^\s*$/, /^-+$/];
export const MAX_ERROR_LINE_CHARS = 300;

/**
 * The lines worth showing first: from a traceback, the exception line and the script frame that raised;
 * otherwise the first non-noise lines, timestamps stripped, each capped. Log lines are user content: the
 * caller escapes them.
 */
export function meaningfulErrorLines(texts: ReadonlyArray<string | undefined>, max = 4): string[] {
  const out: string[] = [];
  const add = (line: string): void => {
    const clean = line.replace(TIMESTAMP, '').replace(NODE_PREFIX, '').trimEnd();
    if (NOISE.some((n) => n.test(clean))) return;
    const capped = clean.length > MAX_ERROR_LINE_CHARS ? `${clean.slice(0, MAX_ERROR_LINE_CHARS - 1)}…` : clean;
    if (!out.includes(capped)) out.push(capped);
  };
  for (const text of texts) {
    if (!text) continue;
    const lines = text.split(/\r?\n/);
    const tb = lines.findIndex((l) => /^Traceback \(most recent call last\):/.test(l.replace(TIMESTAMP, '')));
    if (tb >= 0) {
      // The last frame and the exception: where the script raised, and what.
      const rest = lines.slice(tb + 1).filter((l) => l.trim() !== '');
      const exception = rest.reverse().find((l) => !/^\s/.test(l));
      const frames = lines.slice(tb + 1).filter((l) => /^\s+File "/.test(l));
      if (exception) add(exception);
      const last = frames.at(-1);
      if (last) add(last.trim());
    } else {
      for (const l of lines) add(l);
    }
    if (out.length >= max) break;
  }
  return out.slice(0, max);
}

export interface JobProgress {
  miniBatchesDone: number;
  miniBatchesTotal: number;
  itemsSucceeded?: number;
  itemsFailed?: number;
  itemsTotal?: number;
}

/**
 * Progress as job_progress_overview.txt says it: the last "<done> of <total> mini batches processed"
 * line, with its item counts when present (the line's exact wording is our guess; see fidelity doc).
 */
export function parseProgressOverview(text: string | undefined): JobProgress | undefined {
  if (!text) return undefined;
  const re = /(\d+) of (\d+) mini batches processed\.(?:\s*(\d+) items succeeded, (\d+) items failed(?:, of (\d+) items)?)?/g;
  let last: RegExpExecArray | undefined;
  for (let m = re.exec(text); m; m = re.exec(text)) last = m;
  if (!last) return undefined;
  const n = (s: string | undefined): number | undefined => (s === undefined ? undefined : Number(s));
  return {
    miniBatchesDone: Number(last[1]),
    miniBatchesTotal: Number(last[2]),
    ...(last[3] !== undefined ? { itemsSucceeded: n(last[3]), itemsFailed: n(last[4]) } : {}),
    ...(last[5] !== undefined ? { itemsTotal: n(last[5]) } : {}),
  };
}

export interface FailureTriage {
  recognised?: Recognised;
  errorLines: string[];
  progress?: JobProgress;
}

/** Everything the reply says about a failure, from the service's message and whatever logs were read. */
export function triageFailure(view: {
  serviceMessage?: string;
  jobError?: string;
  userErrorDetail?: string;
  userErrorSummary?: string;
  userStdout?: string;
  progressOverview?: string;
}): FailureTriage {
  const texts = [view.userErrorDetail, view.jobError, view.serviceMessage, view.userErrorSummary, view.userStdout];
  const recognised = recogniseFailure(texts);
  const errorLines = meaningfulErrorLines([view.userErrorDetail, view.jobError ?? view.serviceMessage, view.userErrorSummary]);
  const progress = parseProgressOverview(view.progressOverview);
  return { ...(recognised ? { recognised } : {}), errorLines, ...(progress ? { progress } : {}) };
}
