/**
 * The REST client of the lab extension: request building, response parsing and the calls to
 * `<base_url>jupyter-infer/api` (SPEC §8). Every request goes through ServerConnection.makeRequest,
 * so Jupyter's token and XSRF cookie travel with it.
 */
import { URLExt } from '@jupyterlab/coreutils';
import { ServerConnection } from '@jupyterlab/services';

import {
  components,
  inferAsyncBodyAnomaly_formatValues,
  inferAsyncBodyOutput_typeValues,
  jobStatusValues,
  jobTypeValues
} from './generated/api';

/** The API namespace under the server's base URL. */
export const API_NAMESPACE = 'jupyter-infer/api';

/** The shapes of the API, generated from the server's openapi.json (`jlpm gen:types`). */
type Schemas = components['schemas'];
export type ApiJob = Schemas['Job'];
export type ApiModel = Schemas['Model'];
export type InferAsyncBody = Schemas['InferAsyncBody'];

export type JobStatus = Schemas['JobStatus'] | string;
export const JOB_STATUSES = jobStatusValues;
export const JOB_TYPES = jobTypeValues;
/** Statuses after which a job never changes (Wood Wide's `rejected` too). */
export const TERMINAL_STATUSES = new Set(['succeeded', 'failed', 'canceled', 'rejected']);
export const OUTPUT_TYPES = inferAsyncBodyOutput_typeValues;
export type OutputType = (typeof OUTPUT_TYPES)[number];
export const ANOMALY_FORMATS = inferAsyncBodyAnomaly_formatValues;
export type AnomalyFormat = (typeof ANOMALY_FORMATS)[number];

/** A job as the panel shows it, normalised from the server's JSON. */
export interface IJob {
  id: string;
  type: string;
  status: JobStatus;
  progress: number | null;
  rowsDone: number | null;
  rowsTotal: number | null;
  phase: string | null;
  etaSeconds: number | null;
  errorMessage: string | null;
  createdAt: string | null;
  startedAt: string | null;
  finishedAt: string | null;
  inputFilename: string | null;
  modelId: string | null;
  modelName: string | null;
  modelVersion: number | string | null;
  modelType: string | null;
  datasetName: string | null;
  outputPath: string | null;
  cancelRequested: boolean;
}

/** A model as the panel shows it, normalised from the server's JSON. */
export interface IModel {
  id: string;
  name: string;
  modelType: string;
  status: string | null;
  version: number | string | null;
  versionId: string | null;
  metrics: Record<string, number>;
  labelColumn: string | null;
  trainingDataset: string | null;
  createdAt: string | null;
  /** The columns the current version reads (after the ones dropped at training). */
  inputColumns: string[];
}

/** The answer of GET /files/columns: a data file's column names from its header (`columns` null when the
 * header alone cannot tell; `note` says why). */
export type IFileColumns = Schemas['FileColumns'];

export interface IPage<T> {
  items: T[];
  nextCursor: string | null;
}

/** The answer of POST /models/{id}/infer-async. */
export interface IInferSubmitted {
  jobId: string;
  status: string;
  modelVersionId: string | null;
}

/** The options the "Run inference" dialog collects. */
export interface IInferRequest {
  model: string;
  path: string;
  outputType: OutputType;
  anomalyFormat?: AnomalyFormat;
  k?: number;
  excludeSelfMatches?: boolean;
  outputPath: string;
}

/** An error answered by the API, carrying the `detail` of its `{"detail": ...}` body. */
export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly detail: string,
    readonly url: string = ''
  ) {
    super(detail);
    this.name = 'ApiError';
  }
}

// ---------------------------------------------------------------------------------------------
// Pure helpers (unit-tested): query strings, bodies, parsing.

function str(v: unknown): string | null {
  if (v === undefined || v === null || v === '') {
    return null;
  }
  return String(v);
}

function num(v: unknown): number | null {
  if (v === undefined || v === null || v === '') {
    return null;
  }
  const n = typeof v === 'number' ? v : Number(v);
  return Number.isFinite(n) ? n : null;
}

/** What the API's shape says, and whatever else a Wood Wide-shaped answer may carry. */
type Loose<T> = Partial<T> & Record<string, any>;

function obj(v: unknown): Record<string, any> {
  return v && typeof v === 'object' && !Array.isArray(v) ? (v as any) : {};
}

/** The `detail` of an error body, whatever shape it came in (string, FastAPI list, text). */
export function errorDetail(body: unknown, fallback: string): string {
  if (typeof body === 'string') {
    return body.trim() || fallback;
  }
  const o = obj(body);
  const d = o.detail ?? o.message ?? o.error;
  if (typeof d === 'string' && d) {
    return d;
  }
  if (Array.isArray(d)) {
    return d
      .map(e => {
        const eo = obj(e);
        const loc = Array.isArray(eo.loc) ? eo.loc.join('.') + ': ' : '';
        return loc + (eo.msg ?? JSON.stringify(e));
      })
      .join('; ');
  }
  if (d !== undefined && d !== null) {
    return JSON.stringify(d);
  }
  return fallback;
}

/** Query string for GET /jobs: only the filters that are set, in a stable order. */
export function buildJobsQuery(opts: {
  status?: string;
  type?: string;
  limit?: number;
  cursor?: string | null;
}): string {
  const params = new URLSearchParams();
  for (const key of ['status', 'type', 'limit', 'cursor'] as const) {
    if (opts[key]) {
      params.set(key, String(opts[key]));
    }
  }
  const q = params.toString();
  return q ? '?' + q : '';
}

/** JSON body for POST /models/{id}/infer-async on a file under the server root. */
export function buildInferBody(req: IInferRequest): InferAsyncBody {
  const body: InferAsyncBody = {
    path: req.path,
    output_type: req.outputType,
    output_path: req.outputPath
  };
  if (req.anomalyFormat) {
    body.anomaly_format = req.anomalyFormat;
  }
  if (req.k !== undefined && req.k !== null && !Number.isNaN(req.k)) {
    body.k = req.k;
  }
  if (req.excludeSelfMatches) {
    body.exclude_self_matches = true;
  }
  return body;
}

/** Path (relative to the API root) of a job's result in one format. */
export function resultFilePath(jobId: string, outputType: OutputType): string {
  return `jobs/${encodeURIComponent(jobId)}/results/file?output_type=${outputType}`;
}

/** Normalise one job from the API (Wood Wide's fields, plus ours, tolerating either nesting). */
export function parseJob(raw: unknown): IJob {
  const j: Loose<ApiJob> = obj(raw);
  const res = obj(j.resources);
  const model = { ...obj(res.model), ...obj(j.model) };
  const dataset = { ...obj(res.dataset), ...obj(j.dataset) };
  const output = obj(j.output);
  return {
    id: String(j.id ?? j.job_id ?? ''),
    type: String(j.type ?? j.job_type ?? ''),
    status: String(j.status ?? ''),
    progress: num(j.progress),
    rowsDone: num(j.rows_done),
    rowsTotal: num(j.rows_total),
    phase: str(j.current_phase),
    etaSeconds: num(j.estimated_seconds_remaining),
    errorMessage: str(j.error_message),
    createdAt: str(j.created_at),
    startedAt: str(j.started_at),
    finishedAt: str(j.finished_at),
    inputFilename: str(j.input_filename),
    modelId: str(j.model_id ?? model.id),
    modelName: str(j.model_name ?? model.name),
    modelVersion:
      num(j.model_version ?? model.version_number ?? model.version) ??
      str(j.model_version_id ?? model.version_id),
    modelType: str(j.model_type ?? model.model_type),
    datasetName: str(j.dataset_name ?? dataset.name),
    outputPath: str(j.output_path ?? output.path ?? output.output_path),
    cancelRequested: Boolean(j.cancel_requested)
  };
}

/** Normalise one model from GET /models. */
export function parseModel(raw: unknown): IModel {
  const m: Loose<ApiModel> = obj(raw);
  const cv = obj(m.current_version);
  const metricsRaw = { ...obj(cv.metrics), ...obj(m.current_metrics) };
  const metrics: Record<string, number> = {};
  for (const [k, v] of Object.entries(metricsRaw)) {
    const n = num(v);
    if (n !== null) {
      metrics[k] = n;
    }
  }
  const id = String(m.id ?? m.model_id ?? '');
  return {
    id,
    name: String(m.name ?? m.model_name ?? id),
    modelType: String(m.model_type ?? ''),
    status: str(m.status ?? cv.status),
    version: num(cv.version ?? cv.version_number ?? m.version) ?? str(cv.version_id),
    versionId: str(cv.version_id ?? cv.id),
    metrics,
    labelColumn: str(m.label_column),
    trainingDataset: str(
      m.training_dataset_name ?? m.training_dataset_id ?? obj(m.training_data).name
    ),
    createdAt: str(m.created_at),
    inputColumns: strings(cv.input_columns ?? m.input_columns) ?? []
  };
}

function strings(v: unknown): string[] | null {
  return Array.isArray(v) ? v.map(x => String(x)) : null;
}

export function parseFileColumns(raw: unknown): IFileColumns {
  const o = obj(raw);
  return {
    path: String(o.path ?? ''),
    format: str(o.format),
    columns: strings(o.columns),
    note: str(o.note)
  };
}

/** Parse a list answer `{items, next_cursor}` (or a bare list). */
export function parsePage<T>(raw: unknown, parse: (r: unknown) => T): IPage<T> {
  const items = Array.isArray(raw) ? raw : obj(raw).items;
  return {
    items: Array.isArray(items) ? items.map(parse) : [],
    nextCursor: Array.isArray(raw) ? null : str(obj(raw).next_cursor)
  };
}

export function parseInferSubmitted(raw: unknown): IInferSubmitted {
  const o = obj(raw);
  return {
    jobId: String(o.job_id ?? o.id ?? ''),
    status: String(o.status ?? 'queued'),
    modelVersionId: str(o.model_version_id ?? obj(o.model).version_id)
  };
}

// ---------------------------------------------------------------------------------------------
// The calls.

/** Full URL of an API path (which may carry a query string). */
export function apiUrl(settings: ServerConnection.ISettings, path: string): string {
  return URLExt.join(settings.baseUrl, API_NAMESPACE, path);
}

/** Make a request and return the raw Response, throwing ApiError with the `detail` on failure. */
export async function requestRaw(
  settings: ServerConnection.ISettings,
  path: string,
  init: RequestInit = {}
): Promise<Response> {
  const url = apiUrl(settings, path);
  let response: Response;
  try {
    response = await ServerConnection.makeRequest(url, init, settings);
  } catch (error) {
    throw new ApiError(0, `Cannot reach the Jupyter server: ${error}`, url);
  }
  if (!response.ok) {
    const text = await response.text().catch(() => '');
    let body: unknown = text;
    try {
      body = JSON.parse(text);
    } catch {
      // keep the text
    }
    const fallback = `${response.status} ${response.statusText || 'error'} from ${path.split('?')[0]}`;
    throw new ApiError(response.status, errorDetail(body, fallback), url);
  }
  return response;
}

/** Make a request and parse its JSON answer. */
export async function requestJSON<T = unknown>(
  settings: ServerConnection.ISettings,
  path: string,
  init: RequestInit = {}
): Promise<T> {
  const response = await requestRaw(settings, path, init);
  const text = await response.text();
  return (text ? JSON.parse(text) : {}) as T;
}

export class InferAPI {
  constructor(readonly settings: ServerConnection.ISettings) {}

  async listJobs(
    opts: { status?: string; type?: string; limit?: number; cursor?: string | null } = {}
  ): Promise<IPage<IJob>> {
    const raw = await requestJSON(this.settings, 'jobs' + buildJobsQuery(opts));
    return parsePage(raw, parseJob);
  }

  async getJob(id: string): Promise<IJob> {
    return parseJob(await requestJSON(this.settings, `jobs/${encodeURIComponent(id)}`));
  }

  async cancelJob(id: string): Promise<void> {
    await requestJSON(this.settings, `jobs/${encodeURIComponent(id)}/cancel`, {
      method: 'POST'
    });
  }

  async listModels(limit = 100): Promise<IModel[]> {
    const raw = await requestJSON(this.settings, `models?limit=${limit}`);
    return parsePage(raw, parseModel).items;
  }

  async inferAsync(req: IInferRequest): Promise<IInferSubmitted> {
    const raw = await requestJSON(
      this.settings,
      `models/${encodeURIComponent(req.model)}/infer-async`,
      {
        method: 'POST',
        headers: { 'Content-Type': 'application/json' },
        body: JSON.stringify(buildInferBody(req))
      }
    );
    return parseInferSubmitted(raw);
  }

  /** The column names of a data file under the server root, read from its header. */
  async fileColumns(path: string): Promise<IFileColumns> {
    const q = new URLSearchParams({ path }).toString();
    return parseFileColumns(await requestJSON(this.settings, `files/columns?${q}`));
  }

  /** A job's result in one format, as a Blob. */
  async resultBlob(id: string, outputType: OutputType): Promise<Blob> {
    const response = await requestRaw(this.settings, resultFilePath(id, outputType));
    return response.blob();
  }
}
