/**
 * The Inference panel (right sidebar): the jobs of every kernel and the server, with filters,
 * paging, progress, Cancel and result actions, and the models list. Rendering only; state is in
 * PanelModel and actions are the callbacks the plugin passes in.
 */
import { ReactWidget, UseSignal } from '@jupyterlab/ui-components';
import * as React from 'react';

import { IJob, IModel, JOB_STATUSES, JOB_TYPES, OUTPUT_TYPES, OutputType } from './api';
import {
  elapsedSeconds,
  formatDuration,
  formatEta,
  formatMetrics,
  formatRows,
  isCancelable,
  isInferJob,
  modelLabel,
  modelVersionLabel,
  progressPercent,
  typeLabel
} from './format';
import { inferIcon } from './icon';
import { PanelModel } from './model';

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
  const details = [
    rows,
    elapsed ? `${elapsed} elapsed` : '',
    eta,
    job.status === 'running' && job.phase ? job.phase : ''
  ].filter(Boolean);
  const input = job.inputFilename ?? job.datasetName;
  const done = job.status === 'succeeded';
  return (
    <li
      className={`jp-InferPanel-job jp-InferPanel-status-${job.status}`}
      data-job-id={job.id}
      data-status={job.status}
    >
      <div className="jp-InferPanel-jobHead">
        <span className="jp-InferPanel-badge" title={job.status}>
          {job.status}
        </span>
        <span className="jp-InferPanel-jobType">{typeLabel(job.type)}</span>
        <span className="jp-InferPanel-jobModel" title={job.modelId ?? ''}>
          {modelLabel(job)}
        </span>
        <span className="jp-InferPanel-spacer" />
        {isCancelable(job) && (
          <button
            className="jp-Button jp-mod-styled jp-mod-warn jp-InferPanel-cancel"
            disabled={props.canceling}
            title={`Cancel ${job.id}`}
            onClick={() => actions.cancel(job)}
          >
            {props.canceling ? 'Canceling…' : 'Cancel'}
          </button>
        )}
      </div>
      <div
        className="jp-InferPanel-progress"
        role="progressbar"
        aria-valuemin={0}
        aria-valuemax={100}
        aria-valuenow={Math.round(pct)}
        title={`${Math.round(pct)}%`}
      >
        <div className="jp-InferPanel-progressFill" style={{ width: `${pct}%` }} />
      </div>
      {details.length > 0 && (
        <div className="jp-InferPanel-jobMeta jp-InferPanel-jobDetails">{details.join(' · ')}</div>
      )}
      <div className="jp-InferPanel-jobMeta">
        <span className="jp-InferPanel-jobId">{job.id}</span>
      </div>
      {input && (
        <div className="jp-InferPanel-jobIO" title={input}>
          in: {input}
          {job.outputPath && (
            <>
              {' → '}
              <a
                href="#"
                className="jp-InferPanel-outputLink"
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
      {done && isInferJob(job) && (
        <div className="jp-InferPanel-result">
          <span>result</span>
          <select
            className="jp-InferPanel-format"
            aria-label="Result format"
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

function Select(props: {
  label: string;
  value: string;
  options: readonly string[];
  onChange: (v: string) => void;
  className: string;
}): JSX.Element {
  return (
    <label className="jp-InferPanel-filter">
      {props.label}
      <select
        className={props.className}
        value={props.value}
        onChange={e => props.onChange(e.target.value)}
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
        <Select
          label="status"
          className="jp-InferPanel-statusFilter"
          value={model.filters.status}
          options={JOB_STATUSES}
          onChange={v => model.setFilters({ status: v })}
        />
        <Select
          label="type"
          className="jp-InferPanel-typeFilter"
          value={model.filters.type}
          options={JOB_TYPES}
          onChange={v => model.setFilters({ type: v })}
        />
        <button
          className="jp-Button jp-mod-styled jp-InferPanel-refresh"
          title="Refresh now"
          onClick={() => void model.refresh(true)}
        >
          ⟳
        </button>
      </div>
      {model.error && <div className="jp-InferPanel-pollError">{model.error}</div>}
      {model.loaded && model.jobs.length === 0 && !model.error && (
        <div className="jp-InferPanel-empty">
          No jobs{model.filters.status || model.filters.type ? ' match these filters' : ' yet'}.
          Right-click a .csv, .parquet or .json file and choose “Run inference…”, or use
          %%infer in a notebook.
        </div>
      )}
      <ul className="jp-InferPanel-jobList">
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
          onClick={() => model.previousPage()}
        >
          ‹ Newer
        </button>
        <span className="jp-InferPanel-page">page {model.pager.page + 1}</span>
        <button
          className="jp-Button jp-mod-styled jp-InferPanel-next"
          disabled={!model.pager.hasNext}
          onClick={() => model.nextPage()}
        >
          Older ›
        </button>
      </div>
    </div>
  );
}

function ModelRow(props: { m: IModel }): JSX.Element {
  const { m } = props;
  const metrics = formatMetrics(m.metrics);
  return (
    <li className="jp-InferPanel-model" data-model-id={m.id} data-model-name={m.name}>
      <div className="jp-InferPanel-jobHead">
        <span className="jp-InferPanel-modelName" title={m.id}>
          {m.name}
        </span>
        <span className="jp-InferPanel-modelType">{m.modelType}</span>
        <span className="jp-InferPanel-modelVersion">{modelVersionLabel(m)}</span>
        <span className="jp-InferPanel-spacer" />
        {m.status && m.status !== 'ready' && (
          <span className="jp-InferPanel-badge">{m.status}</span>
        )}
      </div>
      {metrics && <div className="jp-InferPanel-jobMeta">{metrics}</div>}
      <div className="jp-InferPanel-jobMeta">
        {m.trainingDataset ? `trained on ${m.trainingDataset}` : 'training data unknown'}
        {m.labelColumn ? ` · label ${m.labelColumn}` : ''}
      </div>
    </li>
  );
}

function ModelsView(props: { model: PanelModel }): JSX.Element {
  const { model } = props;
  return (
    <div className="jp-InferPanel-models">
      {model.modelsError && <div className="jp-InferPanel-pollError">{model.modelsError}</div>}
      {model.loaded && model.models.length === 0 && !model.modelsError && (
        <div className="jp-InferPanel-empty">
          No models yet. Train one with %%infer_train in a notebook.
        </div>
      )}
      <ul className="jp-InferPanel-modelList">
        {model.models.map(m => (
          <ModelRow key={m.id} m={m} />
        ))}
      </ul>
    </div>
  );
}

function PanelView(props: { model: PanelModel; actions: IPanelActions }): JSX.Element {
  const [tab, setTab] = React.useState<'jobs' | 'models'>('jobs');
  const { model } = props;
  return (
    <div className="jp-InferPanel-body">
      <div className="jp-InferPanel-header">
        <inferIcon.react tag="span" className="jp-InferPanel-headerIcon" />
        <h2>Inference</h2>
      </div>
      <div className="jp-InferPanel-tabs" role="tablist">
        <button
          role="tab"
          aria-selected={tab === 'jobs'}
          className={`jp-InferPanel-tab ${tab === 'jobs' ? 'jp-mod-active' : ''}`}
          onClick={() => setTab('jobs')}
        >
          Jobs
        </button>
        <button
          role="tab"
          aria-selected={tab === 'models'}
          className={`jp-InferPanel-tab ${tab === 'models' ? 'jp-mod-active' : ''}`}
          onClick={() => {
            setTab('models');
            void model.refreshModels().then(() => model.refresh());
          }}
        >
          Models ({model.models.length})
        </button>
      </div>
      {tab === 'jobs' ? (
        <JobsView model={model} actions={props.actions} />
      ) : (
        <ModelsView model={model} />
      )}
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
