import { IJob, parseJob, parseModel } from '../api';
import {
  elapsedSeconds,
  formatCount,
  formatDuration,
  formatEta,
  formatMetric,
  formatMetrics,
  formatRows,
  isCancelable,
  modelLabel,
  modelVersionLabel,
  parseTime,
  formatCell,
  fullTime,
  progressPercent,
  relativeTime,
  stoppedLabel,
  usesAnomalyFormat,
  usesK
} from '../format';

function job(extra: Record<string, unknown>): IJob {
  return parseJob({ id: 'job_1', type: 'infer_batch', status: 'running', ...extra });
}

describe('formatDuration', () => {
  it.each([
    [0, '0s'],
    [4.4, '4s'],
    [59.6, '1m 00s'],
    [65, '1m 05s'],
    [3599, '59m 59s'],
    [3600, '1h 00m'],
    [7380, '2h 03m'],
    [90000, '1d 1h']
  ])('%p s -> %p', (s, text) => {
    expect(formatDuration(s)).toBe(text);
  });

  it('is empty for unknown or negative durations', () => {
    expect(formatDuration(null)).toBe('');
    expect(formatDuration(undefined)).toBe('');
    expect(formatDuration(NaN)).toBe('');
    expect(formatDuration(-3)).toBe('');
  });
});

describe('formatCount and formatRows', () => {
  it('groups thousands and abbreviates large counts', () => {
    expect(formatCount(0)).toBe('0');
    expect(formatCount(999)).toBe('999');
    expect(formatCount(1234)).toBe('1,234');
    expect(formatCount(1234567)).toBe('1,234,567');
    expect(formatCount(12_345_678)).toBe('12.3M');
    expect(formatCount(20_000_000)).toBe('20M');
    expect(formatCount(3_200_000_000)).toBe('3.2B');
    expect(formatCount(null)).toBe('');
  });

  it('shows done / total, or done alone when the total is unknown', () => {
    expect(formatRows(1200, 5000)).toBe('1,200 / 5,000 rows');
    expect(formatRows(null, 5000)).toBe('0 / 5,000 rows');
    expect(formatRows(1200, null)).toBe('1,200 rows');
    expect(formatRows(null, null)).toBe('');
  });
});

describe('time', () => {
  it('reads timestamps without a zone as UTC', () => {
    expect(parseTime('2026-11-26T10:00:00')).toBe(Date.UTC(2026, 10, 26, 10));
    expect(parseTime('2026-11-26T10:00:00Z')).toBe(Date.UTC(2026, 10, 26, 10));
    expect(parseTime('2026-11-26T10:00:00+01:00')).toBe(Date.UTC(2026, 10, 26, 9));
    expect(parseTime(null)).toBeNull();
    expect(parseTime('not a date')).toBeNull();
  });

  it('measures elapsed time to now while running and to the end when finished', () => {
    const now = Date.UTC(2026, 10, 26, 10, 1, 30);
    expect(elapsedSeconds(job({ started_at: '2026-11-26T10:00:00Z' }), now)).toBe(90);
    const done = job({
      status: 'succeeded',
      started_at: '2026-11-26T10:00:00Z',
      finished_at: '2026-11-26T10:00:12Z'
    });
    expect(elapsedSeconds(done, now)).toBe(12);
    expect(elapsedSeconds(job({}), now)).toBeNull();
    expect(elapsedSeconds(job({ status: 'failed', started_at: '2026-11-26T10:00:00Z' }), now)).toBeNull();
  });
});

describe('ETA, progress and cancel', () => {
  it('shows an ETA only while the job runs', () => {
    expect(formatEta(job({ estimated_seconds_remaining: 75 }))).toBe('~1m 15s left');
    expect(formatEta(job({ estimated_seconds_remaining: null }))).toBe('');
    expect(formatEta(job({ status: 'succeeded', estimated_seconds_remaining: 5 }))).toBe('');
  });

  it('takes progress from the job, else from rows, clamped to 0..100', () => {
    expect(progressPercent(job({ progress: 42 }))).toBe(42);
    expect(progressPercent(job({ rows_done: 25, rows_total: 100 }))).toBe(25);
    expect(progressPercent(job({ progress: 140 }))).toBe(100);
    expect(progressPercent(job({ progress: -1 }))).toBe(0);
    expect(progressPercent(job({}))).toBe(0);
    expect(progressPercent(job({ status: 'succeeded', progress: 99 }))).toBe(100);
  });

  it('stops the bar of a canceled or failed job where the job stopped, not at 100 or 0', () => {
    const canceled = job({ status: 'canceled', progress: 37.6, rows_done: 150, rows_total: 400 });
    expect(progressPercent(canceled)).toBe(37.6);
    expect(stoppedLabel(canceled)).toBe('stopped at 37%');
    const failed = job({ status: 'failed', rows_done: 100, rows_total: 400 });
    expect(progressPercent(failed)).toBe(25);
    expect(stoppedLabel(failed)).toBe('stopped at 25%');
    expect(stoppedLabel(job({ status: 'canceled' }))).toBe('stopped at 0%');
    expect(stoppedLabel(job({ status: 'running', progress: 50 }))).toBe('');
    expect(stoppedLabel(job({ status: 'succeeded' }))).toBe('');
  });

  it('offers Cancel on queued and running jobs not already being canceled', () => {
    expect(isCancelable(job({ status: 'queued' }))).toBe(true);
    expect(isCancelable(job({ status: 'running' }))).toBe(true);
    expect(isCancelable(job({ status: 'running', cancel_requested: true }))).toBe(false);
    expect(isCancelable(job({ status: 'succeeded' }))).toBe(false);
    expect(isCancelable(job({ status: 'canceled' }))).toBe(false);
  });
});

describe('labels', () => {
  it('names job types and models', () => {
    expect(modelLabel(job({ model_name: 'churn', model: { version_number: 3 } }))).toBe('churn v3');
    expect(modelLabel(job({ model_id: 'mdl_1' }))).toBe('mdl_1');
    expect(modelLabel(job({}))).toBe('');
  });

  it('formats metrics sorted by name, with a limit', () => {
    expect(formatMetric(3)).toBe('3');
    expect(formatMetric(0.91234)).toBe('0.912');
    expect(formatMetric(0.00001234)).toBe('1.23e-5');
    expect(formatMetrics({ f1: 0.8, accuracy: 0.91234 })).toBe('accuracy 0.912 · f1 0.8');
    expect(formatMetrics({ a: 1, b: 2, c: 3 }, 2)).toBe('a 1 · b 2 · +1 more');
    expect(formatMetrics({})).toBe('');
  });

  it('labels model versions', () => {
    expect(modelVersionLabel(parseModel({ id: 'm', current_version: { version: 2 } }))).toBe('v2');
    expect(modelVersionLabel(parseModel({ id: 'm' }))).toBe('');
  });

  it('asks for the anomaly format and k only where the model type uses them', () => {
    expect(usesAnomalyFormat('anomaly')).toBe(true);
    expect(usesAnomalyFormat('prediction')).toBe(false);
    expect(usesK('search')).toBe(true);
    expect(usesK('clustering')).toBe(false);
  });
});

describe('relativeTime and fullTime', () => {
  const now = Date.parse('2026-11-28T12:00:00Z');
  it.each([
    ['2026-11-28T11:59:57Z', 'just now'],
    ['2026-11-28T11:59:18Z', '42 s ago'],
    ['2026-11-28T11:57:55Z', '2 min ago'],
    ['2026-11-28T07:00:00Z', '5 h ago'],
    ['2026-11-27T11:00:00Z', '1 day ago'],
    ['2026-11-25T12:00:00Z', '3 days ago'],
    ['2026-08-30T12:00:00Z', '2026-08-30'],
    ['2026-11-28T11:57:55', '2 min ago'] // no zone: UTC, as the server writes them
  ])('%s -> %s', (iso, text) => {
    expect(relativeTime(iso, now)).toBe(text);
  });

  it('is empty for unknown times; a time in the future is "just now"', () => {
    expect(relativeTime(null, now)).toBe('');
    expect(relativeTime('not a time', now)).toBe('');
    expect(relativeTime('2026-11-28T12:00:05Z', now)).toBe('just now');
    expect(fullTime(null)).toBe('');
  });

  it('gives the full date and time for the tooltip', () => {
    const full = fullTime('2026-11-28T11:57:55Z');
    expect(full).toContain('2026');
    expect(full).toMatch(/\d\d:\d\d:\d\d/);
  });
});

describe('formatCell', () => {
  it.each([
    ['0.9996731234567', '0.9997'],
    ['1.0', '1.0'],
    ['0.99999999', '1'],
    ['3765.829283', '3766'],
    ['123456.789012', '123,457'],
    ['4.214685e-08', '4.215e-8'],
    ['-0.0000123456', '-0.00001235'],
    ['42', '42'],
    ['0.5', '0.5'],
    ['yes', 'yes'],
    ['', ''],
    ['job_ABC', 'job_ABC']
  ])('%s -> %s', (text, shown) => {
    expect(formatCell(text)).toBe(shown);
  });
});
