import { parseCsv } from '../csv';

describe('parseCsv', () => {
  it('reads a header and rows', () => {
    expect(parseCsv('id,prediction\n0,yes\n1,no\n')).toEqual({
      header: ['id', 'prediction'],
      rows: [
        ['0', 'yes'],
        ['1', 'no']
      ],
      truncated: false
    });
  });

  it('handles quotes, doubled quotes, commas and newlines in fields, CRLF and no final newline', () => {
    const t = parseCsv('a,b\r\n"x, y","say ""hi"""\r\n"multi\nline",\r\n3,4');
    expect(t.header).toEqual(['a', 'b']);
    expect(t.rows).toEqual([
      ['x, y', 'say "hi"'],
      ['multi\nline', ''],
      ['3', '4']
    ]);
  });

  it('keeps a header-only file (anomaly ids_only with nothing flagged)', () => {
    expect(parseCsv('anomalous_ids\n')).toEqual({
      header: ['anomalous_ids'],
      rows: [],
      truncated: false
    });
  });

  it('stops after maxRows and says so', () => {
    const text = 'id\n' + Array.from({ length: 10 }, (_, i) => String(i)).join('\n') + '\n';
    const t = parseCsv(text, 3);
    expect(t.rows).toEqual([['0'], ['1'], ['2']]);
    expect(t.truncated).toBe(true);
    expect(parseCsv('id\n0\n1\n2\n', 3).truncated).toBe(false);
  });
});
