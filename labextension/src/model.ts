/**
 * The Inference panel's state: one page of jobs (filters, cursor paging), the models list, and a
 * 2-second poll while the panel is visible. Everything lives on the server, so a reload or a kernel
 * restart loses nothing: the next poll shows the same jobs.
 */
import { ISignal, Signal } from '@lumino/signaling';

import { ApiError, IJob, IModel, InferAPI } from './api';
import { POLL_INTERVAL_MS, Poller } from './poller';

export { POLL_INTERVAL_MS };
export const MODELS_EVERY_N_POLLS = 5;
export const PAGE_SIZE = 20;

export interface IJobFilters {
  status: string;
  type: string;
}

/** Cursor paging state: a stack of the cursors that led to each page, page 0 = no cursor. */
export class CursorPager {
  private _stack: (string | null)[] = [null];
  private _next: string | null = null;

  get page(): number {
    return this._stack.length - 1;
  }
  get cursor(): string | null {
    return this._stack[this._stack.length - 1];
  }
  get hasNext(): boolean {
    return this._next !== null;
  }
  get hasPrevious(): boolean {
    return this._stack.length > 1;
  }
  setNext(next: string | null): void {
    this._next = next;
  }
  next(): boolean {
    if (this._next === null) {
      return false;
    }
    this._stack.push(this._next);
    this._next = null;
    return true;
  }
  previous(): boolean {
    if (this._stack.length <= 1) {
      return false;
    }
    this._stack.pop();
    this._next = null;
    return true;
  }
  reset(): void {
    this._stack = [null];
    this._next = null;
  }
}

export class PanelModel extends Poller {
  constructor(readonly api: InferAPI) {
    super();
  }

  jobs: IJob[] = [];
  models: IModel[] = [];
  filters: IJobFilters = { status: '', type: '' };
  readonly pager = new CursorPager();
  error: string | null = null;
  modelsError: string | null = null;
  lastUpdated: number | null = null;
  loaded = false;
  /** Job ids whose Cancel was clicked, greyed until the server reports them ended. */
  readonly canceling = new Set<string>();

  get changed(): ISignal<this, void> {
    return this._changed;
  }
  /** Emitted once when a poll fails after a success (not on every failing poll). */
  get pollFailed(): ISignal<this, ApiError> {
    return this._pollFailed;
  }

  setFilters(filters: Partial<IJobFilters>): void {
    this.filters = { ...this.filters, ...filters };
    this.pager.reset();
    void this.refresh();
  }

  nextPage(): void {
    if (this.pager.next()) {
      void this.refresh();
    }
  }

  previousPage(): void {
    if (this.pager.previous()) {
      void this.refresh();
    }
  }

  /** Fetch the current page of jobs (and the models every few polls, or when asked). */
  async refresh(withModels = false): Promise<void> {
    const seq = ++this._seq;
    try {
      const page = await this.api.listJobs({
        status: this.filters.status || undefined,
        type: this.filters.type || undefined,
        limit: PAGE_SIZE,
        cursor: this.pager.cursor
      });
      if (seq !== this._seq) {
        return; // a newer refresh (e.g. after a filter change) already answered
      }
      this.jobs = page.items;
      this.pager.setNext(page.nextCursor);
      for (const id of [...this.canceling]) {
        const j = this.jobs.find(x => x.id === id);
        if (j && j.status !== 'queued' && j.status !== 'running') {
          this.canceling.delete(id);
        }
      }
      this.error = null;
      this._failing = false;
      this.lastUpdated = Date.now();
    } catch (e) {
      if (seq !== this._seq) {
        return;
      }
      const err = e instanceof ApiError ? e : new ApiError(0, String(e));
      this.error = err.detail;
      if (!this._failing) {
        this._failing = true;
        this._pollFailed.emit(err);
      }
    }
    if (withModels || !this.loaded || this.ticks % MODELS_EVERY_N_POLLS === 0) {
      await this.refreshModels();
    }
    this.loaded = true;
    this._changed.emit();
  }

  async refreshModels(): Promise<void> {
    try {
      this.models = await this.api.listModels();
      this.modelsError = null;
    } catch (e) {
      this.modelsError = e instanceof ApiError ? e.detail : String(e);
    }
  }

  async cancel(job: IJob): Promise<void> {
    this.canceling.add(job.id);
    this._changed.emit();
    try {
      await this.api.cancelJob(job.id);
    } catch (e) {
      this.canceling.delete(job.id);
      this._changed.emit();
      throw e;
    }
    await this.refresh();
  }

  /** Start polling every 2 s (idempotent). */
  start(): void {
    if (this.startTimer()) {
      void this.refresh(true);
    }
  }

  protected tick(): Promise<void> {
    return this.refresh();
  }

  private _changed = new Signal<this, void>(this);
  private _pollFailed = new Signal<this, ApiError>(this);
  private _seq = 0;
  private _failing = false;
}
