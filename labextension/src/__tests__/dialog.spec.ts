import { parseModel } from '../api';
import { RunInferenceBody } from '../dialog';

const models = [
  parseModel({ id: 'mdl_p', name: 'churn', model_type: 'prediction', current_version: { version: 2 } }),
  parseModel({ id: 'mdl_a', name: 'odd', model_type: 'anomaly' }),
  parseModel({ id: 'mdl_s', name: 'look/alike', model_type: 'search' })
];

function select(body: RunInferenceBody, cls: string, value: string): void {
  const el = body.node.querySelector(`.${cls}`) as HTMLSelectElement | HTMLInputElement;
  el.value = value;
  el.dispatchEvent(new Event('change'));
}

function row(body: RunInferenceBody, cls: string): HTMLElement {
  return body.node.querySelector(`.${cls}`) as HTMLElement;
}

describe('RunInferenceBody', () => {
  it('lists the models and defaults to csv, asking nothing else for a prediction model', () => {
    const body = new RunInferenceBody(models, 'data/new.csv', ['new.csv']);
    const options = Array.from(body.node.querySelectorAll('.jp-InferDialog-model option')).map(
      o => o.textContent
    );
    expect(options).toEqual(['churn (prediction, v2)', 'odd (anomaly)', 'look/alike (search)']);
    expect(row(body, 'jp-InferDialog-anomalyRow').hidden).toBe(true);
    expect(row(body, 'jp-InferDialog-kRow').hidden).toBe(true);
    expect(body.getValue()).toEqual({ model: models[0], outputType: 'csv' });
    expect(row(body, 'jp-InferDialog-output').textContent).toBe('Writes: new.churn.csv');
  });

  it('asks for the anomaly format for anomaly models', () => {
    const body = new RunInferenceBody(models, 'new.csv', []);
    select(body, 'jp-InferDialog-model', 'mdl_a');
    select(body, 'jp-InferDialog-anomalyFormat', 'per_row');
    select(body, 'jp-InferDialog-format', 'parquet');
    expect(row(body, 'jp-InferDialog-anomalyRow').hidden).toBe(false);
    expect(row(body, 'jp-InferDialog-kRow').hidden).toBe(true);
    expect(body.getValue()).toEqual({
      model: models[1],
      outputType: 'parquet',
      anomalyFormat: 'per_row'
    });
    expect(body.outputPath).toBe('new.odd.parquet');
  });

  it('asks for k and exclude-self for search models, and names the file safely', () => {
    const body = new RunInferenceBody(models, 'd/q.json', ['q.look_alike.json']);
    select(body, 'jp-InferDialog-model', 'mdl_s');
    select(body, 'jp-InferDialog-format', 'json');
    select(body, 'jp-InferDialog-k', '5');
    (body.node.querySelector('.jp-InferDialog-excludeSelf') as HTMLInputElement).checked = true;
    expect(row(body, 'jp-InferDialog-kRow').hidden).toBe(false);
    expect(body.getValue()).toEqual({
      model: models[2],
      outputType: 'json',
      k: 5,
      excludeSelfMatches: true
    });
    expect(body.outputPath).toBe('d/q.look_alike-1.json');
  });

  it('falls back to k = 1 for a bad k', () => {
    const body = new RunInferenceBody(models, 'q.csv', []);
    select(body, 'jp-InferDialog-model', 'mdl_s');
    select(body, 'jp-InferDialog-k', '0');
    expect(body.getValue().k).toBe(1);
  });
});
