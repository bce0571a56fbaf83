/**
 * The "Run inference" dialog body: model picker, output format, and the anomaly format or k when
 * the chosen model's type uses them, with a live preview of the output file name.
 */
import { Widget } from '@lumino/widgets';

import { ANOMALY_FORMATS, AnomalyFormat, IModel, OUTPUT_TYPES, OutputType } from './api';
import { modelVersionLabel, usesAnomalyFormat, usesK } from './format';
import { collisionFreeOutputPath, splitPath } from './naming';

export interface IRunInferenceChoice {
  model: IModel;
  outputType: OutputType;
  anomalyFormat?: AnomalyFormat;
  k?: number;
  excludeSelfMatches?: boolean;
}

function el<K extends keyof HTMLElementTagNameMap>(
  tag: K,
  attrs: Record<string, string> = {},
  text?: string
): HTMLElementTagNameMap[K] {
  const e = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) {
    e.setAttribute(k, v);
  }
  if (text !== undefined) {
    e.textContent = text;
  }
  return e;
}

function row(label: string, control: HTMLElement, cls: string): HTMLElement {
  const r = el('label', { class: `jp-InferDialog-row ${cls}` });
  r.appendChild(el('span', { class: 'jp-InferDialog-label' }, label));
  r.appendChild(control);
  return r;
}

export class RunInferenceBody extends Widget {
  constructor(
    private _models: IModel[],
    private _inputPath: string,
    private _existingNames: string[],
    defaults: { outputType?: OutputType; model?: string } = {}
  ) {
    super();
    this.addClass('jp-InferDialog');
    const node = this.node;

    node.appendChild(el('div', { class: 'jp-InferDialog-input' }, `Input: ${_inputPath}`));

    this._model = el('select', { class: 'jp-mod-styled jp-InferDialog-model', name: 'model' });
    for (const m of _models) {
      const v = modelVersionLabel(m);
      const o = el('option', { value: m.id }, `${m.name} (${m.modelType}${v ? ', ' + v : ''})`);
      this._model.appendChild(o);
    }
    const preferred = _models.find(m => m.id === defaults.model || m.name === defaults.model);
    if (preferred) {
      this._model.value = preferred.id;
    }
    node.appendChild(row('Model', this._model, 'jp-InferDialog-modelRow'));

    this._format = el('select', { class: 'jp-mod-styled jp-InferDialog-format', name: 'format' });
    for (const t of OUTPUT_TYPES) {
      this._format.appendChild(el('option', { value: t }, t));
    }
    this._format.value = defaults.outputType ?? 'csv';
    node.appendChild(row('Output format', this._format, 'jp-InferDialog-formatRow'));

    this._anomaly = el('select', {
      class: 'jp-mod-styled jp-InferDialog-anomalyFormat',
      name: 'anomaly_format'
    });
    for (const f of ANOMALY_FORMATS) {
      this._anomaly.appendChild(el('option', { value: f }, f));
    }
    this._anomalyRow = row('Anomaly format', this._anomaly, 'jp-InferDialog-anomalyRow');
    node.appendChild(this._anomalyRow);

    this._k = el('input', {
      class: 'jp-mod-styled jp-InferDialog-k',
      name: 'k',
      type: 'number',
      min: '1',
      step: '1',
      value: '1'
    });
    this._kRow = row('Neighbours (k)', this._k, 'jp-InferDialog-kRow');
    node.appendChild(this._kRow);

    this._exclude = el('input', { type: 'checkbox', class: 'jp-InferDialog-excludeSelf' });
    this._excludeRow = row('Exclude self matches', this._exclude, 'jp-InferDialog-excludeRow');
    node.appendChild(this._excludeRow);

    this._preview = el('div', { class: 'jp-InferDialog-output' });
    node.appendChild(this._preview);

    this._model.addEventListener('change', () => this._update());
    this._format.addEventListener('change', () => this._update());
    this._update();
  }

  get selectedModel(): IModel {
    return this._models.find(m => m.id === this._model.value) ?? this._models[0];
  }

  /** The output path the server will be asked to write (free at the time the dialog opened). */
  get outputPath(): string {
    return collisionFreeOutputPath(
      this._inputPath,
      this.selectedModel.name,
      this._format.value,
      this._existingNames
    );
  }

  getValue(): IRunInferenceChoice {
    const model = this.selectedModel;
    const choice: IRunInferenceChoice = {
      model,
      outputType: this._format.value as OutputType
    };
    if (usesAnomalyFormat(model.modelType)) {
      choice.anomalyFormat = this._anomaly.value as AnomalyFormat;
    }
    if (usesK(model.modelType)) {
      const k = parseInt(this._k.value, 10);
      choice.k = Number.isFinite(k) && k > 0 ? k : 1;
      choice.excludeSelfMatches = this._exclude.checked;
    }
    return choice;
  }

  private _update(): void {
    const type = this.selectedModel?.modelType ?? '';
    this._anomalyRow.hidden = !usesAnomalyFormat(type);
    this._kRow.hidden = !usesK(type);
    this._excludeRow.hidden = !usesK(type);
    const out = this.outputPath;
    this._preview.textContent = `Writes: ${splitPath(out)[1]}`;
    this._preview.title = out;
  }

  private _model: HTMLSelectElement;
  private _format: HTMLSelectElement;
  private _anomaly: HTMLSelectElement;
  private _anomalyRow: HTMLElement;
  private _k: HTMLInputElement;
  private _kRow: HTMLElement;
  private _exclude: HTMLInputElement;
  private _excludeRow: HTMLElement;
  private _preview: HTMLElement;
}
