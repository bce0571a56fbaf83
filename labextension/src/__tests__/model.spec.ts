import { ApiError, IJob, InferAPI, parseJob } from '../api';
import { CursorPager, PanelModel } from '../model';
import { JobTracker } from '../tracker';

class FakeApi {
  pages: Record<string, { items: IJob[]; nextCursor: string | null }> = {};
  calls: any[] = [];
  fail: ApiError | null = null;
  jobs: Record<string, IJob> = {};
  async listJobs(opts: any) {
    this.calls.push(opts);
    if (this.fail) {
      throw this.fail;
    }
    return this.pages[opts.cursor ?? ''] ?? { items: [], nextCursor: null };
  }
  async listModels() {
    return [];
  }
  async cancelJob(id: string) {
    this.calls.push({ cancel: id });
  }
  async getJob(id: string) {
    if (!this.jobs[id]) {
      throw new ApiError(404, 'no such job');
    }
    return this.jobs[id];
  }
}

const J = (id: string, status = 'running') => parseJob({ id, type: 'infer_batch', status });

describe('CursorPager', () => {
  it('walks forward with cursors and back with the stack', () => {
    const p = new CursorPager();
    expect(p.cursor).toBeNull();
    expect(p.hasPrevious).toBe(false);
    expect(p.next()).toBe(false);
    p.setNext('c1');
    expect(p.hasNext).toBe(true);
    expect(p.next()).toBe(true);
    expect(p.cursor).toBe('c1');
    expect(p.page).toBe(1);
    p.setNext('c2');
    p.next();
    expect(p.cursor).toBe('c2');
    expect(p.previous()).toBe(true);
    expect(p.cursor).toBe('c1');
    p.reset();
    expect(p.cursor).toBeNull();
    expect(p.page).toBe(0);
  });
});

describe('PanelModel', () => {
  it('loads a page, pages with the cursor and resets paging when filters change', async () => {
    const api = new FakeApi();
    api.pages[''] = { items: [J('a'), J('b')], nextCursor: 'c1' };
    api.pages['c1'] = { items: [J('c')], nextCursor: null };
    const m = new PanelModel(api as unknown as InferAPI);
    await m.refresh();
    expect(m.jobs.map(j => j.id)).toEqual(['a', 'b']);
    expect(m.pager.hasNext).toBe(true);
    m.nextPage();
    await new Promise(r => setTimeout(r, 0));
    expect(m.jobs.map(j => j.id)).toEqual(['c']);
    expect(api.calls[api.calls.length - 1]).toMatchObject({ cursor: 'c1', limit: 20 });
    m.setFilters({ status: 'failed' });
    await new Promise(r => setTimeout(r, 0));
    expect(m.pager.page).toBe(0);
    expect(api.calls[api.calls.length - 1]).toMatchObject({ status: 'failed', cursor: null });
  });

  it('reports a failing poll once, keeps the error shown, and clears it on recovery', async () => {
    const api = new FakeApi();
    const m = new PanelModel(api as unknown as InferAPI);
    const reported: string[] = [];
    m.pollFailed.connect((_, e) => reported.push(e.detail));
    api.fail = new ApiError(500, 'store is locked');
    await m.refresh();
    await m.refresh();
    expect(reported).toEqual(['store is locked']);
    expect(m.error).toBe('store is locked');
    api.fail = null;
    await m.refresh();
    expect(m.error).toBeNull();
  });

  it('marks a job as canceling until the server reports it ended', async () => {
    const api = new FakeApi();
    api.pages[''] = { items: [J('a')], nextCursor: null };
    const m = new PanelModel(api as unknown as InferAPI);
    await m.refresh();
    const p = m.cancel(m.jobs[0]);
    expect(m.canceling.has('a')).toBe(true);
    await p;
    expect(api.calls).toContainEqual({ cancel: 'a' });
    expect(m.canceling.has('a')).toBe(true); // still running on the server
    api.pages[''] = { items: [J('a', 'canceled')], nextCursor: null };
    await m.refresh();
    expect(m.canceling.has('a')).toBe(false);
  });
});

describe('JobTracker', () => {
  function memoryStorage(): Storage {
    const data: Record<string, string> = {};
    return {
      getItem: (k: string) => data[k] ?? null,
      setItem: (k: string, v: string) => {
        data[k] = v;
      },
      removeItem: (k: string) => delete data[k],
      clear: () => undefined,
      key: () => null,
      length: 0
    } as Storage;
  }

  it('reports each watched job once when it ends, and keeps watching across a reload', async () => {
    const api = new FakeApi();
    const storage = memoryStorage();
    const t1 = new JobTracker(api as unknown as InferAPI, storage);
    t1.watch('job_1');
    t1.watch('job_2');
    t1.stop();
    api.jobs['job_1'] = J('job_1', 'running');
    api.jobs['job_2'] = J('job_2', 'running');
    // "reload": a new tracker over the same storage still watches both
    const t2 = new JobTracker(api as unknown as InferAPI, storage);
    t2.stop();
    expect(t2.watched.sort()).toEqual(['job_1', 'job_2']);
    const done: string[] = [];
    t2.finished.connect((_, j) => done.push(`${j.id}:${j.status}`));
    await t2.poll();
    expect(done).toEqual([]);
    api.jobs['job_1'] = J('job_1', 'succeeded');
    await t2.poll();
    await t2.poll();
    expect(done).toEqual(['job_1:succeeded']);
    delete api.jobs['job_2']; // pruned: forgotten without a report
    await t2.poll();
    expect(done).toEqual(['job_1:succeeded']);
    expect(t2.watched).toEqual([]);
    t2.dispose();
  });
});
