import { parseModel } from '../api';
import { POOR_MATCH_SHARE, isPoorMatch, matchLabel, matchModel, missingLabel, rankModels } from '../match';

function model(name: string, cols: string[]) {
  return parseModel({ id: `mdl_${name}`, name, current_version: { input_columns: cols } });
}

const churn = model('churn', ['tenure', 'spend', 'plan']);
const income = model('income', ['age', 'income', 'tenure', 'plan', 'region', 'score', 'segment']);
const tiny = model('tiny', ['plan']);
const legacy = model('legacy', []); // a model whose columns the server did not report

describe('matchModel', () => {
  it('counts the present and missing columns by exact name, in the model order', () => {
    const m = matchModel(income, ['plan', 'tenure', 'Income', 'extra']);
    expect(m.present).toEqual(['tenure', 'plan']);
    expect(m.missing).toEqual(['age', 'income', 'region', 'score', 'segment']);
    expect(m.share).toBeCloseTo(2 / 7);
    expect(matchLabel(m)).toBe('2 of 7 columns');
    expect(missingLabel(m)).toBe('missing: age, income, region, +2 more');
    expect(missingLabel(m, 10)).toBe('missing: age, income, region, score, segment');
  });

  it('says 7 of 7 and nothing missing for a full match; singular for one column', () => {
    const m = matchModel(churn, ['tenure', 'spend', 'plan', 'churned']);
    expect(matchLabel(m)).toBe('3 of 3 columns');
    expect(missingLabel(m)).toBe('');
    expect(matchLabel(matchModel(tiny, ['x']))).toBe('0 of 1 column');
  });

  it('is unknown when the file or the model columns are unknown', () => {
    for (const m of [matchModel(churn, null), matchModel(legacy, ['a'])]) {
      expect(m.share).toBeNull();
      expect(matchLabel(m)).toBe('');
      expect(isPoorMatch(m)).toBe(false);
    }
  });
});

describe('rankModels', () => {
  it('puts the best share first, then more columns, then the given order; unknown last', () => {
    const file = ['tenure', 'spend', 'plan'];
    const ranked = rankModels([legacy, income, tiny, churn], file).map(m => m.model.name);
    // churn 3/3 and tiny 1/1 share 100%: churn first for its more columns; income 2/7; legacy unknown
    expect(ranked).toEqual(['churn', 'tiny', 'income', 'legacy']);
  });

  it('keeps the given (newest first) order when the file columns are unknown', () => {
    expect(rankModels([income, churn, tiny], null).map(m => m.model.name)).toEqual([
      'income',
      'churn',
      'tiny'
    ]);
  });
});

describe('isPoorMatch', () => {
  it(`asks for confirmation below ${POOR_MATCH_SHARE * 100}% of the columns`, () => {
    const four = model('four', ['a', 'b', 'c', 'd']);
    expect(isPoorMatch(matchModel(four, ['a', 'b', 'c', 'd']))).toBe(false);
    expect(isPoorMatch(matchModel(four, ['a', 'b', 'c']))).toBe(false); // 75%: one missing is a note
    expect(isPoorMatch(matchModel(four, ['a', 'b']))).toBe(true);
    expect(isPoorMatch(matchModel(four, []))).toBe(true);
  });
});
