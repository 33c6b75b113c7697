import { hashTagOf, redisKey } from '../../src/queue/redis-keys';

describe('redis keys', () => {
  it('joins the prefix and the parts with colons', () => {
    expect(redisKey('{bsb}', 'outbox', 'req-1', 'entries')).toBe('{bsb}:outbox:req-1:entries');
    expect(redisKey('bsb', 'audit')).toBe('bsb:audit');
  });

  it('finds the hash tag Redis Cluster hashes on, as Redis does: the first non-empty {…}', () => {
    expect(hashTagOf('{bsb}')).toBe('bsb');
    expect(hashTagOf('bsb')).toBeUndefined();
    expect(hashTagOf('{}bsb')).toBeUndefined();
    expect(hashTagOf(redisKey('{team-a}', 'approval', '{x}'))).toBe('team-a');
  });
});
