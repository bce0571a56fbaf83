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
  it('recognises the data files the command applies to', () => {
    expect(isDataFile('a/b.csv')).toBe(true);
    expect(isDataFile('B.PARQUET')).toBe(true);
    expect(isDataFile('x.json')).toBe(true);
    expect(isDataFile('x.ipynb')).toBe(false);
    expect(isDataFile('csv')).toBe(false);
  });

  it('splits paths and stems', () => {
    expect(splitPath('data/new.csv')).toEqual(['data', 'new.csv']);
    expect(splitPath('new.csv')).toEqual(['', 'new.csv']);
    expect(splitPath('a/b/c.tar.csv')).toEqual(['a/b', 'c.tar.csv']);
    expect(stemOf('new.csv')).toBe('new');
    expect(stemOf('new.v2.csv')).toBe('new.v2');
    expect(stemOf('.hidden')).toBe('.hidden');
    expect(stemOf('noext')).toBe('noext');
  });

  it('builds <stem>.<model name>.<format> with -N before the extension', () => {
    expect(outputFileName('new.csv', 'churn', 'parquet')).toBe('new.churn.parquet');
    expect(outputFileName('new.csv', 'churn', 'csv', 2)).toBe('new.churn-2.csv');
  });

  it('makes model names safe in a file name', () => {
    expect(safeNamePart('a/b')).toBe('a_b');
    expect(safeNamePart('a\\b:c')).toBe('a_b_c');
    expect(safeNamePart('a*b?"c"<d>|e\tf')).toBe('a_b__c__d__e_f');
    expect(safeNamePart('prediction-df')).toBe('prediction-df');
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

  it('strips a drive prefix and leading slashes to get the server path', () => {
    expect(serverPath('data/new.csv')).toBe('data/new.csv');
    expect(serverPath('/data/new.csv')).toBe('data/new.csv');
    expect(serverPath('RTC:data/new.csv')).toBe('data/new.csv');
    expect(serverPath('dir/with:colon.csv')).toBe('dir/with:colon.csv');
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
