/**
 * Watches the jobs this browser started with "Run inference...": polls each every 2 s until it
 * ends, then reports it once. The watched ids are kept in localStorage so a page reload keeps
 * watching them (the jobs themselves live on the server).
 */
import { ISignal, Signal } from '@lumino/signaling';

import { IJob, InferAPI } from './api';
import { isTerminal } from './format';
import { Poller } from './poller';

const STORAGE_KEY = 'jupyter-infer:watched-jobs';

export class JobTracker extends Poller {
  constructor(
    private _api: InferAPI,
    private _storage: Storage | null = typeof localStorage === 'undefined' ? null : localStorage
  ) {
    super();
    for (const id of this._load()) {
      this._ids.add(id);
    }
    if (this._ids.size) {
      this.startTimer();
    }
  }

  /** Emitted once per watched job when it reaches a terminal status. */
  get finished(): ISignal<this, IJob> {
    return this._finished;
  }

  get watched(): string[] {
    return [...this._ids];
  }

  watch(id: string): void {
    this._ids.add(id);
    this._save();
    this.startTimer();
  }

  /** One round of polling (public for tests). */
  async poll(): Promise<void> {
    for (const id of [...this._ids]) {
      let job: IJob;
      try {
        job = await this._api.getJob(id);
      } catch (e: any) {
        if (e?.status === 404) {
          this._forget(id); // pruned or deleted
        }
        continue; // transient errors: try again next round
      }
      if (isTerminal(job.status) && this._ids.has(id)) {
        this._forget(id);
        this._finished.emit(job);
      }
    }
    if (!this._ids.size) {
      this.stop();
    }
  }

  protected tick(): Promise<void> {
    return this.poll();
  }

  private _forget(id: string): void {
    this._ids.delete(id);
    this._save();
  }

  private _load(): string[] {
    try {
      const v = JSON.parse(this._storage?.getItem(STORAGE_KEY) ?? '[]');
      return Array.isArray(v) ? v.filter(x => typeof x === 'string') : [];
    } catch {
      return [];
    }
  }

  private _save(): void {
    try {
      this._storage?.setItem(STORAGE_KEY, JSON.stringify([...this._ids]));
    } catch {
      // storage full or disabled: watching still works until reload
    }
  }

  private _ids = new Set<string>();
  private _finished = new Signal<this, IJob>(this);
}
