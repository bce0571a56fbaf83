/**
 * A read-only main-area view of one job's result in json or csv (the first 500 rows as a table), titled by the
 * job's output file. Numbers show 4 significant digits, with the full value on hover; rows stay on one line and
 * the view scrolls both ways.
 */
import { Widget } from '@lumino/widgets';

import { parseCsv } from './csv';
import { formatCell } from './format';

const MAX_JSON_CHARS = 200_000;

export class ResultView extends Widget {
  constructor(jobId: string, format: 'json' | 'csv', text: string, title: string) {
    super();
    this.id = `jupyter-infer-result-${jobId}-${format}`;
    this.addClass('jp-InferResult');
    this.title.label = title;
    this.title.caption = `${title}: the result of ${jobId}`;
    this.title.closable = true;
    if (format === 'csv') {
      this._renderCsv(text);
    } else {
      this._renderJson(text);
    }
  }

  private _renderCsv(text: string): void {
    const { header, rows, truncated } = parseCsv(text, 500);
    const table = document.createElement('table');
    table.className = 'jp-InferResult-table';
    const thead = table.createTHead().insertRow();
    for (const h of header) {
      const th = document.createElement('th');
      th.textContent = h;
      th.scope = 'col';
      thead.appendChild(th);
    }
    const tbody = table.createTBody();
    for (const r of rows) {
      const tr = tbody.insertRow();
      for (const c of r) {
        const td = tr.insertCell();
        const shown = formatCell(c);
        td.textContent = shown;
        if (shown !== c) {
          td.title = c;
        }
      }
    }
    this.node.appendChild(table);
    const note = document.createElement('div');
    note.className = 'jp-InferResult-note';
    note.textContent =
      (truncated
        ? `First ${rows.length} rows shown; download the file for all of them.`
        : `${rows.length} rows.`) + ' Numbers are rounded for reading; hover a cell for its full value.';
    this.node.appendChild(note);
  }

  private _renderJson(text: string): void {
    let shown = text;
    try {
      shown = JSON.stringify(JSON.parse(text), null, 1);
    } catch {
      // show as is
    }
    const pre = document.createElement('pre');
    pre.className = 'jp-InferResult-json';
    pre.textContent =
      shown.length > MAX_JSON_CHARS ? shown.slice(0, MAX_JSON_CHARS) + '\n… (truncated)' : shown;
    this.node.appendChild(pre);
  }
}
