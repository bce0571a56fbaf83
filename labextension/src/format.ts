/**
 * Pure formatting for the Inference panel: durations, ETAs, row counts, metrics and progress.
 * No DOM, no JupyterLab: unit-tested in __tests__/format.spec.ts.
 */
import { IJob, IModel, TERMINAL_STATUSES } from './api';

/** `42s`, `3m 05s`, `2h 07m`, `1d 3h`; '' for null/negative/NaN. */
export function formatDuration(seconds: number | null | undefined): string {
  if (seconds === null || seconds === undefined || !Number.isFinite(seconds) || seconds < 0) {
    return '';
  }
  const s = Math.round(seconds);
  if (s < 60) {
    return `${s}s`;
  }
  const m = Math.floor(s / 60);
  if (m < 60) {
    return `${m}m ${String(s % 60).padStart(2, '0')}s`;
  }
  const h = Math.floor(m / 60);
  if (h < 24) {
    return `${h}h ${String(m % 60).padStart(2, '0')}m`;
  }
  const d = Math.floor(h / 24);
  return `${d}d ${h % 24}h`;
}

/** `1,234` style with a thin grouping that works in every locale we test; `12.3M` past 10 million. */
export function formatCount(n: number | null | undefined): string {
  if (n === null || n === undefined || !Number.isFinite(n)) {
    return '';
  }
  const abs = Math.abs(n);
  if (abs >= 1e9) {
    return `${trim1(n / 1e9)}B`;
  }
  if (abs >= 1e7) {
    return `${trim1(n / 1e6)}M`;
  }
  return groupThousands(n);
}

/** A number rounded to a whole one with `,` between thousands (the same in every locale). */
export function groupThousands(n: number): string {
  return Math.round(n)
    .toString()
    .replace(/\B(?=(\d{3})+(?!\d))/g, ',');
}

function trim1(x: number): string {
  return x.toFixed(1).replace(/\.0$/, '');
}

/** `1,200 / 5,000 rows`, `1,200 rows` when the total is unknown, '' when nothing is known. */
export function formatRows(done: number | null, total: number | null): string {
  if (done === null && total === null) {
    return '';
  }
  if (total === null) {
    return `${formatCount(done)} rows`;
  }
  return `${formatCount(done ?? 0)} / ${formatCount(total)} rows`;
}

/** Milliseconds since the epoch of an ISO timestamp; timestamps without a zone are UTC. */
export function parseTime(iso: string | null | undefined): number | null {
  if (!iso) {
    return null;
  }
  const hasZone = /([zZ]|[+-]\d\d:?\d\d)$/.test(iso);
  const t = Date.parse(hasZone ? iso : iso + 'Z');
  return Number.isNaN(t) ? null : t;
}

/** Seconds the job has run: start to finish, or start to now while it runs. */
export function elapsedSeconds(job: IJob, now: number = Date.now()): number | null {
  const start = parseTime(job.startedAt) ?? parseTime(job.createdAt);
  if (start === null) {
    return null;
  }
  const end = parseTime(job.finishedAt) ?? (isTerminal(job.status) ? null : now);
  if (end === null) {
    return null;
  }
  return Math.max(0, (end - start) / 1000);
}

export function isTerminal(status: string): boolean {
  return TERMINAL_STATUSES.has(status);
}

export function isCancelable(job: IJob): boolean {
  return (job.status === 'queued' || job.status === 'running') && !job.cancelRequested;
}

export function isInferJob(job: IJob): boolean {
  return job.type === 'infer_batch' || job.type === 'infer_sync';
}

/** ETA text: only for jobs still going; `~` marks it as an estimate. */
export function formatEta(job: IJob): string {
  if (isTerminal(job.status) || job.etaSeconds === null) {
    return '';
  }
  return `~${formatDuration(job.etaSeconds)} left`;
}

/** Progress 0-100 for the bar: the job's own, else from rows, 100 when it succeeded. */
export function progressPercent(job: IJob): number {
  if (job.status === 'succeeded') {
    return 100;
  }
  let p = job.progress;
  if (p === null && job.rowsDone !== null && job.rowsTotal) {
    p = (100 * job.rowsDone) / job.rowsTotal;
  }
  if (p === null || !Number.isFinite(p)) {
    return 0;
  }
  return Math.min(100, Math.max(0, p));
}

/**
 * Where a job that ended early stopped: `stopped at 37%` for failed and canceled jobs (their stored progress,
 * so the bar and the figure agree), '' otherwise.
 */
export function stoppedLabel(job: IJob): string {
  if (job.status !== 'canceled' && job.status !== 'failed') {
    return '';
  }
  return `stopped at ${Math.floor(progressPercent(job))}%`;
}

/** `just now`, `42 s ago`, `2 min ago`, `5 h ago`, `3 days ago`; the date past 30 days; '' if unknown. */
export function relativeTime(iso: string | null | undefined, now: number = Date.now()): string {
  const t = parseTime(iso);
  if (t === null) {
    return '';
  }
  const s = Math.max(0, (now - t) / 1000);
  if (s < 10) {
    return 'just now';
  }
  if (s < 60) {
    return `${Math.floor(s)} s ago`;
  }
  if (s < 3600) {
    return `${Math.floor(s / 60)} min ago`;
  }
  if (s < 86400) {
    return `${Math.floor(s / 3600)} h ago`;
  }
  const days = Math.floor(s / 86400);
  if (days <= 30) {
    return `${days} day${days > 1 ? 's' : ''} ago`;
  }
  return new Date(t).toISOString().slice(0, 10);
}

/** The full local date and time of an ISO timestamp, for a tooltip; '' if unknown. */
export function fullTime(iso: string | null | undefined): string {
  const t = parseTime(iso);
  if (t === null) {
    return '';
  }
  return new Date(t).toLocaleString(undefined, {
    year: 'numeric',
    month: 'short',
    day: 'numeric',
    hour: '2-digit',
    minute: '2-digit',
    second: '2-digit',
    timeZoneName: 'short'
  });
}

const LONG_NUMBER = /^-?(\d+\.\d{5,}|\d+(\.\d+)?[eE][-+]?\d+)$/;

/**
 * A table cell for reading: numbers with many digits to 4 significant ones (0.999673 -> 0.9997, 3765.829 ->
 * 3766, whole numbers past 10,000 grouped); other text as is. The full value stays in the file.
 */
export function formatCell(text: string): string {
  if (!LONG_NUMBER.test(text)) {
    return text;
  }
  const v = Number(text);
  if (!Number.isFinite(v)) {
    return text;
  }
  if (Math.abs(v) >= 1e4 && Math.abs(v) < 1e15) {
    return groupThousands(v);
  }
  return String(Number(v.toPrecision(4)));
}

/** The model column: `name v3`, falling back on the id. */
export function modelLabel(job: IJob): string {
  const name = job.modelName ?? job.modelId ?? '';
  if (!name) {
    return '';
  }
  return typeof job.modelVersion === 'number' ? `${name} v${job.modelVersion}` : name;
}

/** A metric value: integers as is, others with 3 significant decimals. */
export function formatMetric(v: number): string {
  if (Number.isInteger(v)) {
    return String(v);
  }
  const a = Math.abs(v);
  if (a !== 0 && (a < 0.001 || a >= 1e6)) {
    return v.toExponential(2);
  }
  return String(Number(v.toFixed(3)));
}

/** `accuracy 0.912 · f1 0.88`, sorted by name so polling does not reorder it. */
export function formatMetrics(metrics: Record<string, number>, max = 4): string {
  const keys = Object.keys(metrics).sort();
  const shown = keys.slice(0, max).map(k => `${k} ${formatMetric(metrics[k])}`);
  if (keys.length > max) {
    shown.push(`+${keys.length - max} more`);
  }
  return shown.join(' · ');
}

export function modelVersionLabel(model: IModel): string {
  if (model.version === null) {
    return '';
  }
  return typeof model.version === 'number' ? `v${model.version}` : String(model.version);
}

/** Whether an inference dialog should ask for the anomaly format / k for this model type. */
export function usesAnomalyFormat(modelType: string): boolean {
  return modelType === 'anomaly';
}

export function usesK(modelType: string): boolean {
  return modelType === 'search';
}
