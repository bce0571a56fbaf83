import {
  collisionFreeOutputPath,
  isDataFile,
  outputFileName,
  resultTitle,
  safeNamePart,
  serverPath,
  splitPath,
  stemOf
} from '../naming';

describe('output file naming', () => {
  // functions of one path or name: [function, argument, answer]
  const ONE_ARGUMENT: [(s: string) => unknown, string, unknown][] = [
    // the data files the command applies to
    [isDataFile, 'a/b.csv', true],
    [isDataFile, 'B.PARQUET', true],
    [isDataFile, 'x.json', true],
    [isDataFile, 'x.ipynb', false],
    [isDataFile, 'csv', false],
    // paths and stems
    [splitPath, 'data/new.csv', ['data', 'new.csv']],
    [splitPath, 'new.csv', ['', 'new.csv']],
    [splitPath, 'a/b/c.tar.csv', ['a/b', 'c.tar.csv']],
    [stemOf, 'new.csv', 'new'],
    [stemOf, 'new.v2.csv', 'new.v2'],
    [stemOf, '.hidden', '.hidden'],
    [stemOf, 'noext', 'noext'],
    // model names made safe in a file name
    [safeNamePart, 'a/b', 'a_b'],
    [safeNamePart, 'a\\b:c', 'a_b_c'],
    [safeNamePart, 'a*b?"c"<d>|e\tf', 'a_b__c__d__e_f'],
    [safeNamePart, 'prediction-df', 'prediction-df'],
    // the server path: a drive prefix and leading slashes stripped
    [serverPath, 'data/new.csv', 'data/new.csv'],
    [serverPath, '/data/new.csv', 'data/new.csv'],
    [serverPath, 'RTC:data/new.csv', 'data/new.csv'],
    [serverPath, 'dir/with:colon.csv', 'dir/with:colon.csv']
  ];

  it.each(ONE_ARGUMENT)('%p(%j) is %j', (f, arg, answer) => {
    expect(f(arg)).toEqual(answer);
  });

  it('builds <stem>.<model name>.<format> with -N before the extension', () => {
    expect(outputFileName('new.csv', 'churn', 'parquet')).toBe('new.churn.parquet');
    expect(outputFileName('new.csv', 'churn', 'csv', 2)).toBe('new.churn-2.csv');
  });

  it('picks the first free name next to the input', () => {
    expect(collisionFreeOutputPath('data/new.csv', 'churn', 'csv', [])).toBe(
      'data/new.churn.csv'
    );
    expect(
      collisionFreeOutputPath('data/new.csv', 'churn', 'csv', ['new.csv', 'new.churn.csv'])
    ).toBe('data/new.churn-1.csv');
    expect(
      collisionFreeOutputPath('new.csv', 'churn', 'csv', [
        'new.churn.csv',
        'new.churn-1.csv',
        'new.churn-3.csv'
      ])
    ).toBe('new.churn-2.csv');
    // another format is not a collision
    expect(collisionFreeOutputPath('new.csv', 'churn', 'json', ['new.churn.csv'])).toBe(
      'new.churn.json'
    );
    // names are compared case-sensitively, as on Linux
    expect(collisionFreeOutputPath('new.csv', 'churn', 'csv', ['NEW.CHURN.CSV'])).toBe(
      'new.churn.csv'
    );
  });

  it('titles an opened result by its output file, not by the job id', () => {
    const job = { outputPath: 'run/new.churn.json', inputFilename: 'new.csv', modelName: 'churn' };
    expect(resultTitle(job, 'csv')).toBe('new.churn.csv');
    expect(resultTitle(job, 'json')).toBe('new.churn.json');
    expect(resultTitle({ ...job, outputPath: null }, 'csv')).toBe('new.churn.csv');
    expect(
      resultTitle({ outputPath: null, inputFilename: 'd/big.parquet', modelName: 'a/b' }, 'json')
    ).toBe('big.a_b.json');
    expect(resultTitle({ outputPath: null, inputFilename: null, modelName: 'churn' }, 'csv')).toBe(
      'churn-result.csv'
    );
  });
});
