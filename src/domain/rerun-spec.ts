// A Re-run of a finished scoring job: the same endpoint, deployment, input and settings, and a NEW
// output. Batch scoring never overwrites an output file (the service refuses one that exists, and so
// does our invoke, scoring.ts assertOutputFree), so the asked file gets a name of its own per re-run:
// `predictions.csv` → `predictions-rerun-<tag>.csv`, the tag derived from the new request id (a Slack
// retry of the same click gives the same name; another click another). A run without an asked output
// writes to its job's own default folder, which is new with every job.
import { formatDataReference, parseDataReference } from './data-reference';
import { runSpecSchema, type RunSpec } from './run-spec';

/** `tag`: letters and digits only, as the caller derives it (a request id digest). */
export function rerunSpec(spec: RunSpec, tag: string): RunSpec {
  if (!/^[a-zA-Z0-9]{1,32}$/.test(tag)) throw new Error('a re-run tag is 1-32 letters and digits');
  if (!spec.output) return runSpecSchema.parse(spec);
  const ref = parseDataReference(spec.output.uri);
  if (ref.kind !== 'datastore') return runSpecSchema.parse(spec);
  const slash = ref.path.lastIndexOf('/');
  const folder = ref.path.slice(0, slash + 1);
  const file = ref.path.slice(slash + 1);
  const dot = file.lastIndexOf('.');
  // A leading dot is part of the name (".predictions"), not an extension.
  const [stem, ext] = dot > 0 ? [file.slice(0, dot), file.slice(dot)] : [file, ''];
  const renamed = `${folder}${stem.replace(/-rerun-[a-zA-Z0-9]+$/, '')}-rerun-${tag}${ext}`;
  return runSpecSchema.parse({ ...spec, output: { uri: formatDataReference({ ...ref, path: renamed }) } });
}
