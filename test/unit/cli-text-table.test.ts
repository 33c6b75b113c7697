// Terminal tables: aligned columns whatever the cell widths, no trailing spaces, one line per row.
import { renderFields, renderTable } from '../../src/cli/text-table';

describe('renderTable', () => {
  const columns = [
    { header: 'name', value: (r: { name: string; state?: string; uri: string }) => r.name },
    { header: 'state', value: (r: { name: string; state?: string; uri: string }) => r.state },
    { header: 'scoring uri', value: (r: { name: string; state?: string; uri: string }) => r.uri },
  ];

  it('pads every column but the last to its widest cell', () => {
    const text = renderTable(columns, [
      { name: 'mnist-batch', state: 'Succeeded', uri: 'https://a/jobs' },
      { name: 'x', state: 'Creating', uri: 'https://bb/jobs' },
    ]);
    expect(text.split('\n')).toEqual([
      'NAME         STATE      SCORING URI',
      'mnist-batch  Succeeded  https://a/jobs',
      'x            Creating   https://bb/jobs',
    ]);
  });

  it('shows a dash for a missing value and keeps a multi-line value on one line', () => {
    const text = renderTable(columns, [{ name: 'a\nb', uri: '' }]);
    expect(text.split('\n')[1]).toBe('a b   -      -');
  });

  it('counts "…" and other non-ASCII characters as one column', () => {
    const text = renderTable(columns, [{ name: 'ünï…', state: 'ok', uri: 'u' }]);
    expect(text.split('\n')).toEqual(['NAME  STATE  SCORING URI', 'ünï…  ok     u']);
  });
});

describe('renderFields', () => {
  it('aligns values and leaves out the unknown ones', () => {
    expect(renderFields([['Job', 'j1'], ['Deployment', undefined], ['Status', 'Running']])).toBe('Job:     j1\nStatus:  Running');
  });
});
