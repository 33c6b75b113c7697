// The sandbox's stand-in for an MLflow model deployed without a scoring script, scored by Azure ML's own
// driver. What is documented ("Use MLflow models in batch deployments"): `predict` is called once per
// file; a `.csv` file gives one prediction per data row, an image (.png .jpg .jpeg .tiff .bmp .gif) one per
// file; any other file type fails its item with "File type '<ext>' is not supported."; the output file has a
// file name and a prediction per row. **Guess**: the prediction itself (the sandbox runs no model): for a
// CSV row, the sum of its bytes mod 2 (a binary classifier, like the doc's heart-disease example); for an
// image, the sum of its bytes mod 10. So tests can predict every row.
import path from 'node:path';
import type { ItemResult } from './digit-model';

const IMAGE_TYPES = new Set(['.png', '.jpg', '.jpeg', '.tiff', '.bmp', '.gif']);

const byteSum = (b: Buffer, mod: number): number => {
  let sum = 0;
  for (const byte of b) sum = (sum + byte) % mod;
  return sum;
};

export function scoreMlflowFile(file: string, content: Buffer): ItemResult {
  const ext = path.posix.extname(file).toLowerCase();
  if (ext === '.csv') {
    const rows = content
      .toString('utf8')
      .split(/\r?\n/)
      .slice(1) // the header row names the columns
      .filter((line) => line.trim() !== '');
    const predictions = rows.map((row) => byteSum(Buffer.from(row, 'utf8'), 2));
    return { file, ok: true, digit: predictions[0] ?? 0, predictions };
  }
  if (IMAGE_TYPES.has(ext)) return { file, ok: true, digit: byteSum(content, 10) };
  return { file, ok: false, error: `File type '${ext.replace(/^\./, '') || file}' is not supported.` };
}
