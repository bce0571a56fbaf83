import { parseModel } from '../api';
import { RunInferenceBody, poorMatchMessage } from '../dialog';

const models = [
  parseModel({
    id: 'mdl_p',
    name: 'churn',
    model_type: 'prediction',
    current_version: { version: 2, input_columns: ['tenure', 'spend', 'plan'] }
  }),
  parseModel({
    id: 'mdl_a',
    name: 'odd',
    model_type: 'anomaly',
    current_version: { input_columns: ['tenure', 'spend'] }
  }),
  parseModel({
    id: 'mdl_s',
    name: 'look/alike',
    model_type: 'search',
    current_version: { input_columns: ['income', 'age', 'tenure', 'region'] }
  })
];

function select(body: RunInferenceBody, cls: string, value: string): void {
  const el = body.node.querySelector(`.${cls}`) as HTMLSelectElement | HTMLInputElement;
  el.value = value;
  el.dispatchEvent(new Event('change', { bubbles: true }));
}

function pick(body: RunInferenceBody, id: string): void {
  const radio = body.node.querySelector(`input[type=radio][value="${id}"]`) as HTMLInputElement;
  radio.checked = true;
  radio.dispatchEvent(new Event('change', { bubbles: true }));
}

function row(body: RunInferenceBody, cls: string): HTMLElement {
  return body.node.querySelector(`.${cls}`) as HTMLElement;
}

function items(body: RunInferenceBody): string[] {
  return Array.from(body.node.querySelectorAll('.jp-InferDialog-modelItem')).map(li =>
    Array.from(li.querySelectorAll('span'))
      .map(s => s.textContent)
      .join(' | ')
  );
}

const FILE = { columns: ['tenure', 'spend', 'plan'] };

describe('RunInferenceBody', () => {
  it('ranks the models by the columns the file has and defaults to the best', () => {
    const body = new RunInferenceBody(models, 'data/new.csv', ['new.csv'], {}, FILE);
    expect(items(body)).toEqual([
      'churn | prediction · v2 | 3 of 3 columns',
      'odd | anomaly | 2 of 2 columns',
      'look/alike | search | 1 of 4 columns'
    ]);
    expect(row(body, 'jp-InferDialog-input').textContent).toBe(
      'new.csv: 3 columns (tenure, spend, plan)'
    );
    expect(row(body, 'jp-InferDialog-models').getAttribute('role')).toBe('radiogroup');
    expect(row(body, 'jp-InferDialog-anomalyRow').hidden).toBe(true);
    expect(row(body, 'jp-InferDialog-kRow').hidden).toBe(true);
    expect(body.getValue()).toEqual({
      model: models[0],
      match: body.ranked[0],
      outputType: 'csv'
    });
    expect(row(body, 'jp-InferDialog-match').textContent).toBe(
      'churn: the file has all 3 of 3 columns.'
    );
    expect(row(body, 'jp-InferDialog-output').textContent).toBe('Writes: new.churn.csv');
  });

  it('a file that fits the newest model less well no longer defaults to it', () => {
    const newestFirst = [models[2], models[0]];
    const body = new RunInferenceBody(newestFirst, 'new.csv', [], {}, FILE);
    expect(body.selectedModel.name).toBe('churn');
  });

  it('shows what a poorly matching model lacks and says it will ask', () => {
    const body = new RunInferenceBody(models, 'new.csv', [], {}, FILE);
    pick(body, 'mdl_s');
    const note = row(body, 'jp-InferDialog-match');
    expect(note.textContent).toBe(
      'look/alike: 1 of 4 columns; missing: income, age, region (they would be empty values). ' +
        'Running it asks for confirmation.'
    );
    expect(note.classList).toContain('jp-InferDialog-matchPoor');
    expect(poorMatchMessage(body.getValue().match, 'new.csv')).toBe(
      'look/alike reads 4 columns; new.csv has 1 of them (missing: income, age, region). Missing ' +
        'columns become empty values, so its results would rest mostly on values it does not have.'
    );
  });

  it('keeps the given order and says why when the columns could not be read', () => {
    const body = new RunInferenceBody(models, 'big.json', [], {}, { columns: null, note: 'too large' });
    expect(items(body).map(s => s.split(' | ')[0])).toEqual(['churn', 'odd', 'look/alike']);
    expect(row(body, 'jp-InferDialog-input').textContent).toBe(
      'big.json: its columns could not be read (too large); models are not ranked.'
    );
    expect(row(body, 'jp-InferDialog-match').textContent).toBe('');
  });

  it('asks for the anomaly format for anomaly models', () => {
    const body = new RunInferenceBody(models, 'new.csv', [], {}, FILE);
    pick(body, 'mdl_a');
    select(body, 'jp-InferDialog-anomalyFormat', 'per_row');
    select(body, 'jp-InferDialog-format', 'parquet');
    expect(row(body, 'jp-InferDialog-anomalyRow').hidden).toBe(false);
    expect(row(body, 'jp-InferDialog-kRow').hidden).toBe(true);
    const { match, ...rest } = body.getValue();
    expect(match.model).toBe(models[1]);
    expect(rest).toEqual({ model: models[1], outputType: 'parquet', anomalyFormat: 'per_row' });
    expect(body.outputPath).toBe('new.odd.parquet');
  });

  it('asks for k and exclude-self for search models, and names the file safely', () => {
    const body = new RunInferenceBody(models, 'd/q.json', ['q.look_alike.json']);
    pick(body, 'mdl_s');
    select(body, 'jp-InferDialog-format', 'json');
    select(body, 'jp-InferDialog-k', '5');
    (body.node.querySelector('.jp-InferDialog-excludeSelf') as HTMLInputElement).checked = true;
    expect(row(body, 'jp-InferDialog-kRow').hidden).toBe(false);
    const { match, ...rest } = body.getValue();
    expect(match.share).toBeNull();
    expect(rest).toEqual({ model: models[2], outputType: 'json', k: 5, excludeSelfMatches: true });
    expect(body.outputPath).toBe('d/q.look_alike-1.json');
  });

  it('comes back with the previous choices after "Back"', () => {
    const body = new RunInferenceBody(
      models,
      'q.csv',
      [],
      { model: 'mdl_s', outputType: 'json', k: 3, excludeSelfMatches: true },
      FILE
    );
    expect(body.getValue()).toMatchObject({
      model: models[2],
      outputType: 'json',
      k: 3,
      excludeSelfMatches: true
    });
  });

  it('falls back to k = 1 for a bad k', () => {
    const body = new RunInferenceBody(models, 'q.csv', []);
    pick(body, 'mdl_s');
    select(body, 'jp-InferDialog-k', '0');
    expect(body.getValue().k).toBe(1);
  });
});
