/**
 * The "Run inference" dialog body: the models ranked by how many of their input columns the file has (best match
 * chosen), the output format, the anomaly format or k when the chosen model's type uses them, and a live preview
 * of the output file name. The model list is a radio group: one tab stop, arrow keys move, each option labelled.
 */
import { Widget } from '@lumino/widgets';

import { ANOMALY_FORMATS, AnomalyFormat, IModel, OUTPUT_TYPES, OutputType } from './api';
import { modelVersionLabel, usesAnomalyFormat, usesK } from './format';
import { IModelMatch, isPoorMatch, matchLabel, missingLabel, rankModels } from './match';
import { collisionFreeOutputPath, splitPath } from './naming';

export interface IRunInferenceChoice {
  model: IModel;
  match: IModelMatch;
  outputType: OutputType;
  anomalyFormat?: AnomalyFormat;
  k?: number;
  excludeSelfMatches?: boolean;
}

/** What the dialog knows about the input file's columns. */
export interface IFileInfo {
  /** null when they could not be read (then `note` says why). */
  columns: string[] | null;
  note?: string | null;
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

let uid = 0;

export class RunInferenceBody extends Widget {
  constructor(
    models: IModel[],
    private _inputPath: string,
    private _existingNames: string[],
    defaults: {
      outputType?: OutputType;
      model?: string;
      anomalyFormat?: AnomalyFormat;
      k?: number;
      excludeSelfMatches?: boolean;
    } = {},
    file: IFileInfo = { columns: null }
  ) {
    super();
    this.addClass('jp-InferDialog');
    const node = this.node;
    const id = `jp-InferDialog-${++uid}`;
    this._ranked = rankModels(models, file.columns);

    const [, filename] = splitPath(_inputPath);
    const input = el('div', { class: 'jp-InferDialog-input', title: _inputPath });
    input.textContent =
      file.columns === null
        ? `${filename}: its columns could not be read${file.note ? ` (${file.note})` : ''}; models are not ranked.`
        : `${filename}: ${file.columns.length} column${file.columns.length === 1 ? '' : 's'} (${file.columns.join(', ')})`;
    node.appendChild(input);

    const heading = el(
      'div',
      { class: 'jp-InferDialog-modelsLabel', id: `${id}-models` },
      file.columns === null ? 'Model' : 'Model (best match first)'
    );
    node.appendChild(heading);
    this._list = el('div', {
      class: 'jp-InferDialog-models',
      role: 'radiogroup',
      'aria-labelledby': `${id}-models`
    });
    const preferred = this._ranked.find(
      m => m.model.id === defaults.model || m.model.name === defaults.model
    );
    const chosen = (preferred ?? this._ranked[0])?.model.id;
    for (const m of this._ranked) {
      this._list.appendChild(this._option(m, id, m.model.id === chosen));
    }
    node.appendChild(this._list);
    this._matchNote = el('div', { class: 'jp-InferDialog-match', 'aria-live': 'polite' });
    node.appendChild(this._matchNote);

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
    this._anomaly.value = defaults.anomalyFormat ?? 'ids_only';
    this._anomalyRow = row('Anomaly format', this._anomaly, 'jp-InferDialog-anomalyRow');
    node.appendChild(this._anomalyRow);

    this._k = el('input', {
      class: 'jp-mod-styled jp-InferDialog-k',
      name: 'k',
      type: 'number',
      min: '1',
      step: '1',
      value: String(defaults.k ?? 1)
    });
    this._kRow = row('Neighbours (k)', this._k, 'jp-InferDialog-kRow');
    node.appendChild(this._kRow);

    this._exclude = el('input', { type: 'checkbox', class: 'jp-InferDialog-excludeSelf' });
    this._exclude.checked = Boolean(defaults.excludeSelfMatches);
    this._excludeRow = row('Exclude self matches', this._exclude, 'jp-InferDialog-excludeRow');
    node.appendChild(this._excludeRow);

    this._preview = el('div', { class: 'jp-InferDialog-output' });
    node.appendChild(this._preview);

    this._list.addEventListener('change', () => this._update());
    this._format.addEventListener('change', () => this._update());
    this._update();
  }

  /** The models in the order shown, best match first. */
  get ranked(): readonly IModelMatch[] {
    return this._ranked;
  }

  get selectedMatch(): IModelMatch {
    const checked = this._list.querySelector('input:checked') as HTMLInputElement | null;
    return this._ranked.find(m => m.model.id === checked?.value) ?? this._ranked[0];
  }

  get selectedModel(): IModel {
    return this.selectedMatch.model;
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
    const match = this.selectedMatch;
    const model = match.model;
    const choice: IRunInferenceChoice = {
      model,
      match,
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

  private _option(m: IModelMatch, id: string, checked: boolean): HTMLElement {
    const version = modelVersionLabel(m.model);
    const label = el('label', {
      class: `jp-InferDialog-modelItem ${matchClass(m)}`,
      'data-model-name': m.model.name,
      title: m.model.inputColumns.length
        ? `${m.model.name}\ncolumns: ${m.model.inputColumns.join(', ')}`
        : m.model.name
    });
    const radio = el('input', { type: 'radio', name: `${id}-model`, value: m.model.id });
    radio.checked = checked;
    label.appendChild(radio);
    label.appendChild(el('span', { class: 'jp-InferDialog-modelName' }, m.model.name));
    label.appendChild(
      el('span', { class: 'jp-InferDialog-modelMeta' }, [m.model.modelType, version].filter(Boolean).join(' · '))
    );
    label.appendChild(el('span', { class: 'jp-InferDialog-matchLabel' }, matchLabel(m)));
    return label;
  }

  private _update(): void {
    const m = this.selectedMatch;
    const type = m?.model.modelType ?? '';
    this._anomalyRow.hidden = !usesAnomalyFormat(type);
    this._kRow.hidden = !usesK(type);
    this._excludeRow.hidden = !usesK(type);
    for (const item of Array.from(this._list.querySelectorAll('.jp-InferDialog-modelItem'))) {
      const r = item.querySelector('input') as HTMLInputElement;
      item.classList.toggle('jp-mod-selected', r.checked);
    }
    const missing = m ? missingLabel(m) : '';
    this._matchNote.className = `jp-InferDialog-match ${m ? matchClass(m) : ''}`;
    if (!m || m.share === null) {
      this._matchNote.textContent = '';
    } else if (!missing) {
      this._matchNote.textContent = `${m.model.name}: the file has all ${matchLabel(m)}.`;
    } else {
      this._matchNote.textContent =
        `${m.model.name}: ${matchLabel(m)}; ${missing} (they would be empty values)` +
        (isPoorMatch(m) ? '. Running it asks for confirmation.' : '.');
    }
    const out = this.outputPath;
    this._preview.textContent = `Writes: ${splitPath(out)[1]}`;
    this._preview.title = out;
  }

  private _ranked: IModelMatch[];
  private _list: HTMLElement;
  private _matchNote: HTMLElement;
  private _format: HTMLSelectElement;
  private _anomaly: HTMLSelectElement;
  private _anomalyRow: HTMLElement;
  private _k: HTMLInputElement;
  private _kRow: HTMLElement;
  private _exclude: HTMLInputElement;
  private _excludeRow: HTMLElement;
  private _preview: HTMLElement;
}

function matchClass(m: IModelMatch): string {
  if (m.share === null) {
    return 'jp-InferDialog-matchUnknown';
  }
  return isPoorMatch(m)
    ? 'jp-InferDialog-matchPoor'
    : m.missing.length
      ? 'jp-InferDialog-matchPartial'
      : 'jp-InferDialog-matchFull';
}

/** The text of the confirmation asked before running a poorly matching model. */
export function poorMatchMessage(m: IModelMatch, filename: string): string {
  return (
    `${m.model.name} reads ${m.present.length + m.missing.length} columns; ${filename} has ` +
    `${m.present.length} of them (${missingLabel(m, 6)}). Missing columns become empty values, so its ` +
    'results would rest mostly on values it does not have.'
  );
}
