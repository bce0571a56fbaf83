/**
 * Polling on a timer, shared by the panel's model and the job tracker: every POLL_INTERVAL_MS
 * one round of `tick()`, skipped while the last round is still running.
 */
import { Signal } from '@lumino/signaling';

export const POLL_INTERVAL_MS = 2000;

export abstract class Poller {
  /** One round of polling. */
  protected abstract tick(): Promise<void>;

  /** Start the timer; false (and nothing changes) if it is running already. */
  protected startTimer(): boolean {
    if (this._timer !== null) {
      return false;
    }
    this._timer = setInterval(() => {
      this.ticks++;
      if (!this._busy) {
        this._busy = true;
        void this.tick().finally(() => (this._busy = false));
      }
    }, POLL_INTERVAL_MS);
    return true;
  }

  stop(): void {
    if (this._timer !== null) {
      clearInterval(this._timer);
      this._timer = null;
    }
  }

  dispose(): void {
    this.stop();
    Signal.clearData(this);
  }

  /** Timer ticks so far, the skipped ones included. */
  protected ticks = 0;
  private _timer: ReturnType<typeof setInterval> | null = null;
  private _busy = false;
}
