/** The Models tab of the Inference panel: every model with type, version, metrics, training data and columns. */
import * as React from 'react';

import { IModel } from './api';
import { Clipped } from './clipped';
import { formatMetrics, modelVersionLabel } from './format';
import { PanelModel } from './model';

function ModelRow(props: { m: IModel }): JSX.Element {
  const { m } = props;
  const metrics = formatMetrics(m.metrics);
  const version = modelVersionLabel(m);
  const cols = m.inputColumns;
  return (
    <li
      className="jp-InferPanel-model"
      data-model-id={m.id}
      data-model-name={m.name}
      aria-label={`${m.modelType} model ${m.name} ${version}`}
    >
      <div className="jp-InferPanel-jobHead">
        <Clipped className="jp-InferPanel-modelName" text={m.name} title={`${m.name} (${m.id})`} />
        <span className="jp-InferPanel-modelVersion">{version}</span>
      </div>
      <div className="jp-InferPanel-jobSub">
        <span className="jp-InferPanel-modelType">{m.modelType}</span>
        <span className="jp-InferPanel-spacer" />
        {m.status && m.status !== 'ready' && <span className="jp-InferPanel-badge">{m.status}</span>}
      </div>
      {metrics && <div className="jp-InferPanel-jobMeta">{metrics}</div>}
      <div className="jp-InferPanel-jobMeta">
        {m.trainingDataset ? `trained on ${m.trainingDataset}` : 'training data unknown'}
        {m.labelColumn ? ` · label ${m.labelColumn}` : ''}
      </div>
      {cols.length > 0 && (
        <div className="jp-InferPanel-jobMeta">
          <Clipped
            className="jp-InferPanel-modelColumns"
            text={`${cols.length} input column${cols.length > 1 ? 's' : ''}: ${cols.join(', ')}`}
          />
        </div>
      )}
    </li>
  );
}

/** Above a list: the error of its last poll, or else (once loaded) what to do when it is empty. */
export function ListNotice(props: {
  error: string | null;
  empty: boolean;
  children: React.ReactNode;
}): JSX.Element | null {
  if (props.error) {
    return (
      <div className="jp-InferPanel-pollError" role="alert">
        {props.error}
      </div>
    );
  }
  return props.empty ? <div className="jp-InferPanel-empty">{props.children}</div> : null;
}

export function ModelsView(props: { model: PanelModel }): JSX.Element {
  const { model } = props;
  return (
    <div className="jp-InferPanel-models">
      <ListNotice error={model.modelsError} empty={model.loaded && model.models.length === 0}>
        No models yet. Train one with %%infer_train in a notebook.
      </ListNotice>
      <ul className="jp-InferPanel-modelList" aria-label="Models">
        {model.models.map(m => (
          <ModelRow key={m.id} m={m} />
        ))}
      </ul>
    </div>
  );
}

