// The sandbox's stand-in for the recipe's MNIST model: deterministic, so tests can predict every row.
// digit = (sum of the file's bytes) mod 10; a file whose content starts with `CORRUPT` cannot be
// scored and fails its item (as an unreadable image fails in the real scoring script).

/** `predictions`: one per data row of a tabular file (an MLflow model, mlflow-model.ts); else `digit` is the file's one. */
export type ItemResult = { file: string; ok: true; digit: number; predictions?: number[] } | { file: string; ok: false; error: string };

const CORRUPT_MARK = Buffer.from('CORRUPT');

export function scoreFile(file: string, content: Buffer): ItemResult {
  if (content.subarray(0, CORRUPT_MARK.length).equals(CORRUPT_MARK)) {
    return { file, ok: false, error: `cannot decode '${file}': the file is corrupt` };
  }
  let sum = 0;
  for (const byte of content) sum = (sum + byte) % 10;
  return { file, ok: true, digit: sum };
}

/** predictions.csv: one `file,digit` row per scored file (outputAction AppendRow), sorted by file. */
export function predictionsCsv(results: readonly ItemResult[]): string {
  return results
    .filter((r): r is Extract<ItemResult, { ok: true }> => r.ok)
    .map((r) => ({ file: r.file, values: r.predictions ?? [r.digit] }))
    .sort((a, b) => (a.file < b.file ? -1 : a.file > b.file ? 1 : 0))
    .map((r) => r.values.map((v) => `${csvField(r.file)},${v}\n`).join(''))
    .join('');
}

function csvField(value: string): string {
  return /[",\n\r]/.test(value) ? `"${value.replace(/"/g, '""')}"` : value;
}
