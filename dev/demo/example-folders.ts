// The folders under the artifacts root that a deploy form's Model and Scoring code fields can name
// (`models/mnist`, `code/mnist` in the embedded stack), so the console can say what to type.
import { readdirSync } from 'node:fs';
import path from 'node:path';

/** Folders two levels below `root` ("models/mnist"), sorted; none when the root cannot be read. */
export function exampleFolders(root: string): string[] {
  const dirs = (dir: string): string[] => {
    try {
      return readdirSync(dir, { withFileTypes: true }).filter((e) => e.isDirectory()).map((e) => e.name);
    } catch {
      return [];
    }
  };
  return dirs(root)
    .flatMap((top) => dirs(path.join(root, top)).map((sub) => `${top}/${sub}`))
    .sort();
}
