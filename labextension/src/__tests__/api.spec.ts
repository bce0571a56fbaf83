import { ServerConnection } from '@jupyterlab/services';

import {
  ApiError,
  InferAPI,
  buildInferBody,
  buildJobsQuery,
  errorDetail,
  parseInferSubmitted,
  parseJob,
  parseFileColumns,
  parseModel,
  parsePage,
  resultFilePath
} from '../api';

function response(status: number, body: unknown, contentType = 'application/json'): Response {
  const text = typeof body === 'string' ? body : JSON.stringify(body);
  return new Response(text, { status, headers: { 'Content-Type': contentType } });
}

describe('request building', () => {
  it('puts only the set filters in the jobs query', () => {
    expect(buildJobsQuery({})).toBe('');
    expect(buildJobsQuery({ status: 'running' })).toBe('?status=running');
    expect(buildJobsQuery({ status: 'failed', type: 'train', limit: 20, cursor: 'c/1' })).toBe(
      '?status=failed&type=train&limit=20&cursor=c%2F1'
    );
  });

  it('builds the infer-async body with only the options the model type uses', () => {
    expect(
      buildInferBody({
        model: 'mdl_1',
        path: 'data/new.csv',
        outputType: 'csv',
        outputPath: 'data/new.churn.csv'
      })
    ).toEqual({ path: 'data/new.csv', output_type: 'csv', output_path: 'data/new.churn.csv' });
    expect(
      buildInferBody({
        model: 'm',
        path: 'a.csv',
        outputType: 'json',
        anomalyFormat: 'per_row',
        outputPath: 'a.m.json'
      })
    ).toEqual({
      path: 'a.csv',
      output_type: 'json',
      anomaly_format: 'per_row',
      output_path: 'a.m.json'
    });
    expect(
      buildInferBody({
        model: 'm',
        path: 'a.csv',
        outputType: 'parquet',
        k: 3,
        excludeSelfMatches: true,
        outputPath: 'a.m.parquet'
      })
    ).toEqual({
      path: 'a.csv',
      output_type: 'parquet',
      k: 3,
      exclude_self_matches: true,
      output_path: 'a.m.parquet'
    });
  });

  it('addresses a result file by job and format', () => {
    expect(resultFilePath('job_1', 'parquet')).toBe('jobs/job_1/results/file?output_type=parquet');
  });
});

describe('response parsing', () => {
  it('normalises a job with the SPEC fields', () => {
    const j = parseJob({
      id: 'job_A',
      type: 'infer_batch',
      status: 'running',
      progress: 40,
      rows_done: 400,
      rows_total: 1000,
      current_phase: 'predict',
      estimated_seconds_remaining: 12.5,
      created_at: '2026-11-26T10:00:00Z',
      started_at: '2026-11-26T10:00:01Z',
      input_filename: 'new.csv',
      model: { id: 'mdl_1', name: 'churn', version: 2 },
      output_path: 'data/new.churn.csv',
      cancel_requested: false
    });
    expect(j).toMatchObject({
      id: 'job_A',
      type: 'infer_batch',
      status: 'running',
      progress: 40,
      rowsDone: 400,
      rowsTotal: 1000,
      phase: 'predict',
      etaSeconds: 12.5,
      inputFilename: 'new.csv',
      modelId: 'mdl_1',
      modelName: 'churn',
      modelVersion: 2,
      outputPath: 'data/new.churn.csv',
      cancelRequested: false
    });
  });

  it("accepts Wood Wide's shapes: job_id, resources.model, flat model_id, output.path", () => {
    const j = parseJob({
      job_id: 'job_B',
      type: 'infer_batch',
      status: 'succeeded',
      model_id: 'mdl_2',
      model_type: 'anomaly',
      resources: { type: 'infer_batch', model: { id: 'mdl_2', version_id: 'mdlv_9', version_number: 4 } },
      output: { path: 'x.m.csv' }
    });
    expect(j).toMatchObject({
      id: 'job_B',
      modelId: 'mdl_2',
      modelType: 'anomaly',
      modelVersion: 4,
      outputPath: 'x.m.csv',
      progress: null,
      etaSeconds: null
    });
  });

  it('normalises a model with metrics and training data', () => {
    const m = parseModel({
      id: 'mdl_1',
      name: 'churn',
      model_type: 'prediction',
      status: 'ready',
      label_column: 'churned',
      current_version: { version_id: 'mdlv_3', version: 3, metrics: { accuracy: 0.9 } },
      current_metrics: { f1: 0.8, note: 'not a number' },
      training_dataset_name: 'customers'
    });
    expect(m).toEqual({
      id: 'mdl_1',
      name: 'churn',
      modelType: 'prediction',
      status: 'ready',
      version: 3,
      versionId: 'mdlv_3',
      metrics: { accuracy: 0.9, f1: 0.8 },
      labelColumn: 'churned',
      trainingDataset: 'customers',
      createdAt: null,
      inputColumns: []
    });
    expect(parseModel({ model_id: 'mdl_x', model_type: 'search' }).name).toBe('mdl_x');
  });

  it("reads the model's input columns from its current version", () => {
    const m = parseModel({ id: 'm', current_version: { input_columns: ['tenure', 'plan', 3] } });
    expect(m.inputColumns).toEqual(['tenure', 'plan', '3']);
  });

  it('reads the columns of a file, or null with the reason', () => {
    expect(
      parseFileColumns({ path: 'd/new.csv', format: 'csv', columns: ['a', 'b'], note: null })
    ).toEqual({ path: 'd/new.csv', format: 'csv', columns: ['a', 'b'], note: null });
    expect(parseFileColumns({ path: 'big.json', columns: null, note: 'too large' })).toEqual({
      path: 'big.json',
      format: null,
      columns: null,
      note: 'too large'
    });
  });

  it('reads list pages and bare lists', () => {
    expect(parsePage({ items: [{ id: 'a' }], next_cursor: 'n' }, parseJob).nextCursor).toBe('n');
    expect(parsePage([{ id: 'a' }], parseJob).items[0].id).toBe('a');
    expect(parsePage({}, parseJob)).toEqual({ items: [], nextCursor: null });
  });

  it('reads the infer-async answer', () => {
    expect(
      parseInferSubmitted({ job_id: 'job_1', status: 'queued', model_version_id: 'mdlv_1' })
    ).toEqual({ jobId: 'job_1', status: 'queued', modelVersionId: 'mdlv_1' });
  });

  it('takes the detail from every error body shape', () => {
    expect(errorDetail({ detail: 'Model not found: churn' }, 'x')).toBe('Model not found: churn');
    expect(
      errorDetail({ detail: [{ loc: ['body', 'k'], msg: 'must be > 0' }] }, 'x')
    ).toBe('body.k: must be > 0');
    expect(errorDetail('plain text', 'x')).toBe('plain text');
    expect(errorDetail('', 'fallback')).toBe('fallback');
    expect(errorDetail({}, 'fallback')).toBe('fallback');
  });
});

describe('InferAPI over ServerConnection.makeRequest', () => {
  const settings = ServerConnection.makeSettings({ baseUrl: 'http://localhost:8888/base/' });
  let spy: jest.SpyInstance;

  beforeEach(() => {
    spy = jest.spyOn(ServerConnection, 'makeRequest');
  });
  afterEach(() => spy.mockRestore());

  it('lists jobs under <base_url>jupyter-infer/api with the settings (token, XSRF)', async () => {
    spy.mockResolvedValue(response(200, { items: [{ id: 'job_1', status: 'queued' }], next_cursor: null }));
    const page = await new InferAPI(settings).listJobs({ status: 'queued', limit: 20 });
    expect(page.items.map(j => j.id)).toEqual(['job_1']);
    expect(spy).toHaveBeenCalledWith(
      'http://localhost:8888/base/jupyter-infer/api/jobs?status=queued&limit=20',
      {},
      settings
    );
  });

  it('posts the infer-async JSON body to the model', async () => {
    spy.mockResolvedValue(response(200, { job_id: 'job_9', status: 'queued' }));
    const out = await new InferAPI(settings).inferAsync({
      model: 'churn model',
      path: 'data/new.csv',
      outputType: 'csv',
      outputPath: 'data/new.churn model.csv'
    });
    expect(out.jobId).toBe('job_9');
    const [url, init] = spy.mock.calls[0];
    expect(url).toBe('http://localhost:8888/base/jupyter-infer/api/models/churn%20model/infer-async');
    expect(init.method).toBe('POST');
    expect(init.headers).toEqual({ 'Content-Type': 'application/json' });
    expect(JSON.parse(init.body)).toEqual({
      path: 'data/new.csv',
      output_type: 'csv',
      output_path: 'data/new.churn model.csv'
    });
  });

  it('cancels with POST /jobs/{id}/cancel', async () => {
    spy.mockResolvedValue(response(200, { id: 'job_1', status: 'canceled' }));
    await new InferAPI(settings).cancelJob('job_1');
    expect(spy.mock.calls[0][0]).toBe('http://localhost:8888/base/jupyter-infer/api/jobs/job_1/cancel');
    expect(spy.mock.calls[0][1].method).toBe('POST');
  });

  it('raises ApiError with the status and the detail of the error body', async () => {
    spy.mockResolvedValue(response(404, { detail: "No model named 'nope'" }));
    const err = await new InferAPI(settings).getJob('x').catch(e => e);
    expect(err).toBeInstanceOf(ApiError);
    expect(err.status).toBe(404);
    expect(err.detail).toBe("No model named 'nope'");
  });

  it('falls back to the status line when the error body is not JSON', async () => {
    spy.mockResolvedValue(response(502, '', 'text/html'));
    const err = await new InferAPI(settings).listModels().catch(e => e);
    expect(err.status).toBe(502);
    expect(err.detail).toMatch(/^502 .* from models$/);
  });

  it('turns a network failure into ApiError status 0', async () => {
    spy.mockRejectedValue(new TypeError('Failed to fetch'));
    const err = await new InferAPI(settings).listJobs().catch(e => e);
    expect(err).toBeInstanceOf(ApiError);
    expect(err.status).toBe(0);
    expect(err.detail).toMatch(/Cannot reach the Jupyter server/);
  });

  it("asks for a file's columns with its path in the query string", async () => {
    spy.mockResolvedValue(response(200, { path: 'a b/new.csv', format: 'csv', columns: ['x'] }));
    const got = await new InferAPI(settings).fileColumns('a b/new.csv');
    expect(got.columns).toEqual(['x']);
    expect(spy.mock.calls[0][0]).toBe(
      'http://localhost:8888/base/jupyter-infer/api/files/columns?path=a+b%2Fnew.csv'
    );
  });

  it('fetches a result file as a blob', async () => {
    spy.mockResolvedValue(response(200, 'id,prediction\n0,yes\n', 'text/csv'));
    const blob = await new InferAPI(settings).resultBlob('job_1', 'csv');
    expect(await blob.text()).toBe('id,prediction\n0,yes\n');
    expect(spy.mock.calls[0][0]).toBe(
      'http://localhost:8888/base/jupyter-infer/api/jobs/job_1/results/file?output_type=csv'
    );
  });
});
