import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { redisKey } from '../../src/queue/redis-keys';

describe('redis keys', () => {
  it('joins the prefix and the parts with colons', () => {
    expect(redisKey('{bsb}', 'outbox', 'req-1', 'entries')).toBe('{bsb}:outbox:req-1:entries');
    expect(redisKey('bsb', 'audit')).toBe('bsb:audit');
  });
});

describe('the stores in src/queue', () => {
  // A key assembled by hand could miss the prefix (and its hash tag), and a store typed for the single
  // client could not be handed the cluster client: both would break Redis Cluster support unnoticed.
  const dir = path.resolve(__dirname, '../../src/queue');
  const stores = readdirSync(dir)
    .filter((f) => f.endsWith('.ts') && f !== 'redis-keys.ts' && f !== 'connection.ts')
    .map((f) => ({ file: f, text: readFileSync(path.join(dir, f), 'utf8').replace(/^\s*\/\/.*$/gm, '') }))
    .filter((s) => /\bconnection\b/.test(s.text));

  it('build every Redis key through redisKey, never by hand from the prefix', () => {
    expect(stores.length).toBeGreaterThan(5);
    expect(stores.filter((s) => /`\$\{(deps\.)?prefix\}:/.test(s.text)).map((s) => s.file)).toEqual([]);
  });

  it("take either Redis client: none is typed for ioredis' single-node Redis", () => {
    expect(stores.filter((s) => /import type \{[^}]*\bRedis\b[^}]*\} from 'ioredis'/.test(s.text)).map((s) => s.file)).toEqual([]);
  });
});
