import fc from 'fast-check';
import { code, escapeMrkdwn, link, mention, truncate, truncateEscaped } from '../../src/slack/mrkdwn';

describe('escapeMrkdwn', () => {
  it('escapes &, < and >', () => {
    expect(escapeMrkdwn('a & b < c > d')).toBe('a &amp; b &lt; c &gt; d');
  });

  it.each(['<!channel>', '<!here>', '<!everyone>', '<@U0123ABC>', '<#C0123|general>', '<https://evil.example|https://good.example>', '<!subteam^S123>', '<!date^1^{date}|x>'])(
    'makes %s inert',
    (injection) => {
      const escaped = escapeMrkdwn(`hello ${injection} bye`);
      expect(escaped).not.toMatch(/[<>]/);
      expect(escaped).toContain('&lt;');
    },
  );

  it('neutralizes bare @channel, @here and @everyone in any case', () => {
    for (const word of ['@channel', '@here', '@everyone', '@Channel', '@HERE']) {
      const escaped = escapeMrkdwn(`ping ${word}!`);
      expect(escaped).not.toContain(word);
      expect(escaped.replace(/\u200d/g, '')).toContain(word);
    }
    expect(escapeMrkdwn('mail me@here.example')).toBe('mail me@\u200dhere.example');
    expect(escapeMrkdwn('@channels-team')).toBe('@channels-team');
  });

  it('escapes an already escaped entity again, so it shows as typed', () => {
    expect(escapeMrkdwn('&lt;!channel&gt;')).toBe('&amp;lt;!channel&amp;gt;');
  });

  it('leaves no live markup in any input', () => {
    fc.assert(
      fc.property(fc.string({ unit: 'binary', maxLength: 300 }), (text) => {
        const escaped = escapeMrkdwn(text);
        expect(escaped).not.toMatch(/[<>]/);
        expect(escaped).not.toMatch(/@(channel|here|everyone)\b/i);
        // Every & starts one of our entities.
        expect(escaped.replace(/&(amp|lt|gt);/g, '')).not.toContain('&');
      }),
      { numRuns: 3000 },
    );
  });

  it('decodes back to the original text (nothing lost but the invisible joiner)', () => {
    fc.assert(
      fc.property(fc.string({ unit: 'grapheme', maxLength: 200 }), (text) => {
        const decoded = escapeMrkdwn(text)
          .replace(/&lt;/g, '<')
          .replace(/&gt;/g, '>')
          .replace(/&amp;/g, '&')
          .replace(/@\u200d(channel|here|everyone)/gi, '@$1');
        expect(decoded).toBe(text);
      }),
      { numRuns: 1000 },
    );
  });
});

describe('code', () => {
  it('wraps text in backticks and strips the backticks inside', () => {
    expect(code('a`b``c')).toBe('`abc`');
  });

  it('escapes inside the span and keeps it on one line', () => {
    expect(code('<!here>\nnext')).toBe('`&lt;!here&gt; next`');
  });

  it('never produces an empty span', () => {
    expect(code('```')).toBe('` `');
  });

  it('always makes exactly one inert span', () => {
    fc.assert(
      fc.property(fc.string({ unit: 'binary', maxLength: 200 }), (text) => {
        const out = code(text);
        expect(out.match(/`/g)).toHaveLength(2);
        expect(out).not.toMatch(/[<>\n]/);
      }),
      { numRuns: 2000 },
    );
  });
});

describe('truncate', () => {
  it('leaves short text alone', () => {
    expect(truncate('hello', 5)).toBe('hello');
  });

  it('cuts long text with an ellipsis within the limit', () => {
    expect(truncate('hello world', 6)).toBe('hello…');
    expect(truncate('hello', 1)).toBe('…');
    expect(truncate('hello', 0)).toBe('');
  });

  it('never splits a surrogate pair', () => {
    expect(truncate('ab😀cd', 4)).toBe('ab…');
    fc.assert(
      fc.property(fc.string({ unit: 'grapheme', maxLength: 100 }), fc.integer({ min: 0, max: 120 }), (text, max) => {
        const out = truncate(text, max);
        expect(out.length).toBeLessThanOrEqual(max);
        expect(out).not.toMatch(/[\ud800-\udbff](?![\udc00-\udfff])/);
      }),
      { numRuns: 2000 },
    );
  });
});

describe('truncateEscaped', () => {
  it('does not cut an entity in half', () => {
    const escaped = escapeMrkdwn('aaaa<<<<');
    for (let max = 1; max < escaped.length; max++) {
      const out = truncateEscaped(escaped, max);
      expect(out.length).toBeLessThanOrEqual(max);
      expect(out.replace(/&(amp|lt|gt);/g, '')).not.toContain('&');
    }
  });
});

describe('mention', () => {
  it('mentions a valid user id', () => {
    expect(mention('U0123ABC')).toBe('<@U0123ABC>');
    expect(mention('W0123ABC')).toBe('<@W0123ABC>');
  });

  it('shows anything else escaped, never as a mention', () => {
    expect(mention('U123>|<!channel')).toBe('U123&gt;|&lt;!channel');
    expect(mention('u0123abc')).toBe('u0123abc');
    expect(mention('S0123')).toBe('S0123');
    expect(mention('')).toBe('');
  });
});

describe('link', () => {
  it('links an https URL with an escaped label', () => {
    expect(link('https://ml.azure.com/runs/x?wsid=a&tid=b', 'Studio <run>')).toBe('<https://ml.azure.com/runs/x?wsid=a&amp;tid=b|Studio &lt;run&gt;>');
  });

  it('shows only the label for anything that is not a plain http(s) URL', () => {
    expect(link('javascript:alert(1)', 'x')).toBe('x');
    expect(link('https://a.example/x|<!channel>', 'x')).toBe('x');
  });

  it('keeps a pipe in the label from splitting the link', () => {
    expect(link('https://a.example', 'a|b')).toBe('<https://a.example|a∣b>');
  });
});
