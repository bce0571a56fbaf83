/**
 * The Inference panel (right sidebar): the jobs of every kernel and the server, with filters,
 * paging, progress, Cancel and result actions, and the models list. Rendering only; state is in
 * PanelModel and actions are the callbacks the plugin passes in.
 */
import { ReactWidget, UseSignal } from '@jupyterlab/ui-components';
import * as React from 'react';

import { IJob, JOB_STATUSES, JOB_TYPES, OUTPUT_TYPES, OutputType } from './api';
import { Clipped } from './clipped';
import {
  elapsedSeconds,
  formatDuration,
  formatEta,
  formatRows,
  fullTime,
  isCancelable,
  isInferJob,
  modelLabel,
  progressPercent,
  relativeTime,
  stoppedLabel
} from './format';
import { inferIcon } from './icon';
import { IJobFilters, PanelModel } from './model';
import { ListNotice, ModelsView } from './modelsview';

export interface IPanelActions {
  cancel(job: IJob): void;
  openResult(job: IJob, format: OutputType): void;
  downloadResult(job: IJob, format: OutputType): void;
  openFile(path: string): void;
}

function JobRow(props: {
  job: IJob;
  canceling: boolean;
  actions: IPanelActions;
}): JSX.Element {
  const { job, actions } = props;
  const [format, setFormat] = React.useState<OutputType>('csv');
  const pct = progressPercent(job);
  const elapsed = formatDuration(elapsedSeconds(job));
  const eta = formatEta(job);
  const rows = formatRows(job.rowsDone, job.rowsTotal);
  const stopped = stoppedLabel(job);
  const running = job.status === 'running' || job.status === 'queued';
  const details = [
    running ? `${Math.floor(pct)}%` : stopped,
    rows,
    eta,
    job.status === 'running' && job.phase ? job.phase : ''
  ].filter(Boolean);
  const input = job.inputFilename ?? job.datasetName;
  const done = job.status === 'succeeded';
  const name = modelLabel(job) || job.datasetName || job.type;
  const nameTitle = job.modelId ? `${name} (${job.modelId})` : name;
  const created = fullTime(job.createdAt);
  return (
    <li
      className={`jp-InferPanel-job jp-InferPanel-status-${job.status}`}
      data-job-id={job.id}
      data-status={job.status}
      aria-label={`${job.type} ${name}: ${job.status}`}
    >
      <div className="jp-InferPanel-jobHead">
        <Clipped className="jp-InferPanel-jobModel" text={name} title={nameTitle} />
        <time
          className="jp-InferPanel-time"
          dateTime={job.createdAt ?? undefined}
          title={created ? `created ${created}` : undefined}
        >
          {relativeTime(job.createdAt)}
        </time>
      </div>
      <div className="jp-InferPanel-jobSub">
        <span className="jp-InferPanel-badge">{job.status}</span>
        <span className="jp-InferPanel-jobType" title="job type">
          {job.type}
        </span>
        <span className="jp-InferPanel-spacer" />
        {isCancelable(job) && (
          <button
            className="jp-Button jp-mod-styled jp-mod-warn jp-InferPanel-cancel"
            disabled={props.canceling}
            title={`Cancel ${job.id}`}
            aria-label={`Cancel ${job.type} ${name}`}
            onClick={() => actions.cancel(job)}
          >
            {props.canceling ? 'Canceling…' : 'Cancel'}
          </button>
        )}
      </div>
      <div
        className="jp-InferPanel-progress"
        role="progressbar"
        aria-label={`Progress of ${job.type} ${name}`}
        aria-valuemin={0}
        aria-valuemax={100}
        aria-valuenow={Math.floor(pct)}
        aria-valuetext={`${Math.floor(pct)}%, ${job.status}`}
        title={`${Math.floor(pct)}%`}
      >
        <div className="jp-InferPanel-progressFill" style={{ width: `${pct}%` }} />
      </div>
      <div className="jp-InferPanel-jobMeta jp-InferPanel-jobDetails">
        {details.join(' · ')}
        {elapsed && (
          <span className="jp-InferPanel-elapsed">
            {details.length ? ' · ' : ''}
            {running ? `${elapsed} elapsed` : `took ${elapsed}`}
          </span>
        )}
      </div>
      {input && (
        <div className="jp-InferPanel-jobIO">
          <span className="jp-InferPanel-ioLabel">in</span>
          <Clipped className="jp-InferPanel-input" text={input} />
          {job.outputPath && (
            <>
              <span className="jp-InferPanel-ioLabel">out</span>
              <a
                href="#"
                className="jp-InferPanel-clip jp-InferPanel-outputLink"
                title={`Open ${job.outputPath}`}
                onClick={e => {
                  e.preventDefault();
                  actions.openFile(job.outputPath!);
                }}
              >
                {job.outputPath}
              </a>
            </>
          )}
        </div>
      )}
      {job.errorMessage && (
        <div className="jp-InferPanel-error" title={job.errorMessage}>
          {job.errorMessage}
        </div>
      )}
      <div className="jp-InferPanel-jobMeta">
        <Clipped className="jp-InferPanel-jobId" text={job.id} />
      </div>
      {done && isInferJob(job) && (
        <div className="jp-InferPanel-result" role="group" aria-label={`Result of ${name}`}>
          <select
            className="jp-InferPanel-format"
            aria-label="Result format"
            title="Result format"
            value={format}
            onChange={e => setFormat(e.target.value as OutputType)}
          >
            {OUTPUT_TYPES.map(t => (
              <option key={t} value={t}>
                {t}
              </option>
            ))}
          </select>
          <button
            className="jp-Button jp-mod-styled jp-InferPanel-open"
            disabled={format === 'parquet'}
            title={
              format === 'parquet'
                ? 'Parquet is binary: download it instead'
                : `Open the result as ${format}`
            }
            onClick={() => actions.openResult(job, format)}
          >
            Open
          </button>
          <button
            className="jp-Button jp-mod-styled jp-InferPanel-download"
            title={`Download the result as ${format}`}
            onClick={() => actions.downloadResult(job, format)}
          >
            Download
          </button>
        </div>
      )}
    </li>
  );
}

/** A select that filters the job list by one of its filters (`status`, `type`). */
function Filter(props: {
  model: PanelModel;
  name: keyof IJobFilters;
  options: readonly string[];
}): JSX.Element {
  const { model, name } = props;
  return (
    <label className="jp-InferPanel-filter">
      {name}
      <select
        className={`jp-InferPanel-${name}Filter`}
        aria-label={`Filter by ${name}`}
        value={model.filters[name]}
        onChange={e => model.setFilters({ [name]: e.target.value })}
      >
        <option value="">all</option>
        {props.options.map(o => (
          <option key={o} value={o}>
            {o}
          </option>
        ))}
      </select>
    </label>
  );
}

function JobsView(props: { model: PanelModel; actions: IPanelActions }): JSX.Element {
  const { model, actions } = props;
  return (
    <div className="jp-InferPanel-jobs">
      <div className="jp-InferPanel-toolbar">
        <Filter model={model} name="status" options={JOB_STATUSES} />
        <Filter model={model} name="type" options={JOB_TYPES} />
        <button
          className="jp-Button jp-mod-styled jp-InferPanel-refresh"
          title="Refresh now"
          aria-label="Refresh jobs"
          onClick={() => void model.refresh(true)}
        >
          ⟳
        </button>
      </div>
      <ListNotice error={model.error} empty={model.loaded && model.jobs.length === 0}>
        No jobs{model.filters.status || model.filters.type ? ' match these filters' : ' yet'}.
        Right-click a .csv, .parquet or .json file and choose “Run inference…”, or use %%infer
        in a notebook.
      </ListNotice>
      <ul className="jp-InferPanel-jobList" aria-label="Jobs, newest first">
        {model.jobs.map(job => (
          <JobRow
            key={job.id}
            job={job}
            canceling={model.canceling.has(job.id)}
            actions={actions}
          />
        ))}
      </ul>
      <div className="jp-InferPanel-pager">
        <button
          className="jp-Button jp-mod-styled jp-InferPanel-prev"
          disabled={!model.pager.hasPrevious}
          aria-label="Newer jobs"
          onClick={() => model.previousPage()}
        >
          ‹ Newer
        </button>
        <span className="jp-InferPanel-page">page {model.pager.page + 1}</span>
        <button
          className="jp-Button jp-mod-styled jp-InferPanel-next"
          disabled={!model.pager.hasNext}
          aria-label="Older jobs"
          onClick={() => model.nextPage()}
        >
          Older ›
        </button>
      </div>
    </div>
  );
}

const TABS = ['jobs', 'models'] as const;
type Tab = (typeof TABS)[number];

function PanelView(props: { model: PanelModel; actions: IPanelActions }): JSX.Element {
  const [tab, setTab] = React.useState<Tab>('jobs');
  const { model } = props;
  const choose = (t: Tab) => {
    setTab(t);
    if (t === 'models') {
      void model.refreshModels().then(() => model.refresh());
    }
  };
  // The tablist follows the WAI-ARIA pattern: one tab stop, arrow keys move between the tabs.
  const onKeyDown = (e: React.KeyboardEvent<HTMLDivElement>) => {
    if (e.key !== 'ArrowLeft' && e.key !== 'ArrowRight') {
      return;
    }
    e.preventDefault();
    const next = TABS[(TABS.indexOf(tab) + 1) % TABS.length];
    choose(next);
    (e.currentTarget.querySelector(`#jp-InferPanel-tab-${next}`) as HTMLElement | null)?.focus();
  };
  const tabButton = (t: Tab, label: string) => (
    <button
      role="tab"
      id={`jp-InferPanel-tab-${t}`}
      aria-selected={tab === t}
      aria-controls={`jp-InferPanel-tabpanel-${t}`}
      tabIndex={tab === t ? 0 : -1}
      className={`jp-InferPanel-tab ${tab === t ? 'jp-mod-active' : ''}`}
      onClick={() => choose(t)}
    >
      {label}
    </button>
  );
  return (
    <div className="jp-InferPanel-body">
      <div className="jp-InferPanel-header">
        <inferIcon.react tag="span" className="jp-InferPanel-headerIcon" />
        <h2>Inference</h2>
      </div>
      <div
        className="jp-InferPanel-tabs"
        role="tablist"
        aria-label="Inference panel"
        onKeyDown={onKeyDown}
      >
        {tabButton('jobs', 'Jobs')}
        {tabButton('models', `Models (${model.models.length})`)}
      </div>
      <div
        role="tabpanel"
        id={`jp-InferPanel-tabpanel-${tab}`}
        aria-labelledby={`jp-InferPanel-tab-${tab}`}
      >
        {tab === 'jobs' ? (
          <JobsView model={model} actions={props.actions} />
        ) : (
          <ModelsView model={model} />
        )}
      </div>
    </div>
  );
}

/** The sidebar widget: renders PanelModel and polls while it is visible. */
export class InferencePanel extends ReactWidget {
  constructor(
    readonly model: PanelModel,
    private _actions: IPanelActions
  ) {
    super();
    this.id = 'jupyter-infer-panel';
    this.addClass('jp-InferPanel');
    this.title.icon = inferIcon;
    this.title.caption = 'Inference jobs and models';
  }

  protected onAfterShow(): void {
    this.model.start();
  }

  protected onAfterHide(): void {
    this.model.stop();
  }

  protected onAfterAttach(msg: any): void {
    super.onAfterAttach(msg);
    if (this.isVisible) {
      this.model.start();
    }
  }

  protected onBeforeDetach(msg: any): void {
    this.model.stop();
    super.onBeforeDetach(msg);
  }

  dispose(): void {
    this.model.dispose();
    super.dispose();
  }

  render(): JSX.Element {
    return (
      <UseSignal signal={this.model.changed}>
        {() => <PanelView model={this.model} actions={this._actions} />}
      </UseSignal>
    );
  }
}
