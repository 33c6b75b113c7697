// What a blob in the datastore is known to hold, as the upload reads it from a listing or from the blob's
// properties: it decides what is skipped, what is copied, and whether a conflicting upload left the file.
// The upload's own metadata key is `md5`, named here as the datastore stores it.
import { knownMd5 } from '../../src/azureml/uploads';

const md5 = Buffer.from('0123456789abcdef');
const ours = md5.toString('base64');

describe('knownMd5', () => {
  it('reads our metadata first, then Content-MD5', () => {
    expect(knownMd5({ metadata: { md5: ours }, contentMD5: Buffer.from('something else') })).toBe(ours);
    expect(knownMd5({ contentMD5: md5 })).toBe(ours);
    expect(knownMd5({ metadata: {} })).toBeUndefined();
  });

  it('knows nothing of a blob whose copy is pending, failed or aborted, though it carries the source MD5 already', () => {
    for (const copyStatus of ['pending', 'failed', 'aborted']) {
      expect(knownMd5({ metadata: { md5: ours }, contentMD5: md5, copyStatus })).toBeUndefined();
    }
    expect(knownMd5({ metadata: { md5: ours }, copyStatus: 'success' })).toBe(ours);
  });
});
