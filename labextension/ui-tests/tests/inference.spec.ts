/**
 * The Inference panel and "Run inference…" against a real jupyter lab (token + XSRF) and the real
 * jupyter_infer server extension, store and engine.
 */
import { expect, test } from '@playwright/test';

import {
  apiContext,
  command,
  dirItem,
  existsInRoot,
  jobRow,
  openFolder,
  openLab,
  openPalette,
  openPanel,
  openRunDialog,
  runDialogIn,
  screenshot,
  selectModel,
  startedJobId,
  waitForApp
} from '../helpers';

test.describe.configure({ mode: 'serial' });

test('the panel lists the trained models and is in the command palette', async ({ page }) => {
  await openLab(page);
  // Command palette entries; "Open Inference Panel" opens the panel. Retried as a whole: right after
  // load JupyterLab may move focus, which closes the modal palette.
  await expect(page.locator('.jp-Launcher')).toBeVisible();
  const panel = page.locator('#jupyter-infer-panel');
  await expect(async () => {
    const palette = await openPalette(page);
    await palette.locator('input').fill('Inference');
    for (const id of ['jupyter-infer:open-panel', 'jupyter-infer:refresh', 'jupyter-infer:run-inference']) {
      await expect(palette.locator(`.lm-CommandPalette-item[data-command="${id}"]`)).toBeVisible({
        timeout: 2000
      });
    }
    await palette.locator('input').fill('Open Inference Panel');
    await expect(
      palette.locator('.lm-CommandPalette-item.lm-mod-active[data-command="jupyter-infer:open-panel"]')
    ).toBeVisible({ timeout: 2000 });
    await palette.locator('input').press('Enter');
    await expect(panel).toBeVisible({ timeout: 2000 });
  }).toPass({ timeout: 60_000 });
  await panel.getByRole('tab', { name: /Models/ }).click();
  const churn = panel.locator('.jp-InferPanel-model[data-model-name="churn"]');
  await expect(churn).toBeVisible();
  await expect(churn.locator('.jp-InferPanel-modelType')).toHaveText('prediction');
  await expect(churn).toContainText('v1');
  await expect(churn).toContainText('trained on');
  await expect(panel.locator('.jp-InferPanel-model[data-model-name="odd-customers"]')).toContainText(
    'anomaly'
  );
  await panel.getByRole('tab', { name: 'Jobs' }).click();
  // The training jobs run by seeding (another process) are listed.
  await expect(panel.locator('.jp-InferPanel-job[data-status="succeeded"]').first()).toBeVisible();
});

test('Run inference… on a csv writes <stem>.<model>.<format> next to it, then -1', async ({ page }) => {
  const { panel, dir, dialog } = await runDialogIn(page, ['new.csv'], 'churn', 'csv');
  // anomaly format only for anomaly models, k only for search models
  await expect(dialog.locator('.jp-InferDialog-anomalyRow')).toBeHidden();
  await expect(dialog.locator('.jp-InferDialog-kRow')).toBeHidden();
  await expect(dialog.locator('.jp-InferDialog-output')).toHaveText('Writes: new.churn.csv');
  await selectModel(dialog, 'odd-customers');
  await expect(dialog.locator('.jp-InferDialog-anomalyRow')).toBeVisible();
  await screenshot(page, 'run-inference-dialog', dialog.locator('.jp-Dialog-content'));
  await selectModel(dialog, 'churn');
  await dialog.getByRole('button', { name: 'Run' }).click();

  const jobId = await startedJobId(page, `${dir}/new.churn.csv`);
  const row = jobRow(panel, jobId);
  await expect(row).toBeVisible();
  await expect(row).toHaveAttribute('data-status', 'succeeded', { timeout: 120_000 });
  await expect(row.locator('.jp-InferPanel-outputLink')).toHaveText(`${dir}/new.churn.csv`);
  await expect(row.locator('.jp-InferPanel-jobDetails')).toContainText('400 / 400 rows');
  await expect(page.locator('.Toastify__toast', { hasText: `wrote ${dir}/new.churn.csv` })).toBeVisible();
  // The result file is on disk and shows up in the file browser.
  expect(existsInRoot(`${dir}/new.churn.csv`)).toBe(true);
  await expect(dirItem(page, 'new.churn.csv')).toBeVisible();
  await screenshot(page, 'panel-finished-job');

  // The same again: the name is taken, so the result goes to new.churn-1.csv.
  const dialog2 = await openRunDialog(page, 'new.csv');
  await selectModel(dialog2, 'churn');
  await dialog2.locator('select.jp-InferDialog-format').selectOption('csv');
  await expect(dialog2.locator('.jp-InferDialog-output')).toHaveText('Writes: new.churn-1.csv');
  await dialog2.getByRole('button', { name: 'Run' }).click();
  const jobId2 = await startedJobId(page, `${dir}/new.churn-1.csv`);
  const row2 = jobRow(panel, jobId2);
  await expect(row2).toHaveAttribute('data-status', 'succeeded', { timeout: 120_000 });
  await expect(row2.locator('.jp-InferPanel-outputLink')).toHaveText(`${dir}/new.churn-1.csv`);
  await expect(dirItem(page, 'new.churn-1.csv')).toBeVisible();

  // Open the result as a table from the panel, and the written file from its link.
  await row.locator('select.jp-InferPanel-format').selectOption('csv');
  await row.getByRole('button', { name: 'Open' }).click();
  const view = page.locator('.jp-InferResult');
  await expect(view.locator('th').first()).toHaveText('id');
  await expect(view.locator('th', { hasText: 'prediction' }).first()).toBeVisible();
  await expect(view.locator('tbody tr')).toHaveCount(400);
  // Titled by the output file, not the job id; probabilities rounded for reading, full value on hover.
  await expect(
    page.locator('.lm-DockPanel .lm-TabBar-tab.lm-mod-current .lm-TabBar-tabLabel')
  ).toHaveText('new.churn.csv');
  const probCol = await view.locator('th').evaluateAll(ths => ths.findIndex(t => t.textContent === 'prediction_prob'));
  const probs = view.locator(`tbody tr td:nth-child(${probCol + 1})`);
  for (const text of await probs.allTextContents()) {
    expect(text).toMatch(/^(0|1)(\.\d{1,4})?$/);
  }
  const longOne = view.locator(`tbody tr td:nth-child(${probCol + 1})[title]`).first();
  await expect(longOne).toHaveAttribute('title', /^0\.\d{5,}/);
  // Download as parquet goes through the authenticated API.
  const [download] = await Promise.all([
    page.waitForEvent('download'),
    (async () => {
      await row.locator('select.jp-InferPanel-format').selectOption('parquet');
      await row.getByRole('button', { name: 'Download' }).click();
    })()
  ]);
  expect(download.suggestedFilename()).toBe(`${jobId}.parquet`);
});

test('a .parquet and a .json file get the same command; filters narrow the jobs', async ({ page }) => {
  const files = ['new.parquet', 'new.json'];
  const { panel, dir, dialog } = await runDialogIn(page, files, 'odd-customers', 'json');
  await dialog.locator('select.jp-InferDialog-anomalyFormat').selectOption('per_row');
  await expect(dialog.locator('.jp-InferDialog-output')).toHaveText('Writes: new.odd-customers.json');
  await dialog.getByRole('button', { name: 'Run' }).click();
  const jobId = await startedJobId(page, `${dir}/new.odd-customers.json`);
  await expect(jobRow(panel, jobId)).toHaveAttribute('data-status', 'succeeded', { timeout: 120_000 });
  expect(existsInRoot(`${dir}/new.odd-customers.json`)).toBe(true);

  // The context menu offers the command on .json files, not on others.
  await dirItem(page, 'new.json').click({ button: 'right' });
  await expect(page.getByRole('menuitem', { name: 'Run inference…' })).toBeVisible();
  await page.keyboard.press('Escape');

  await panel.locator('select.jp-InferPanel-typeFilter').selectOption('train');
  await expect(jobRow(panel, jobId)).toHaveCount(0);
  await expect(panel.locator('.jp-InferPanel-job').first()).toBeVisible();
  await panel.locator('select.jp-InferPanel-typeFilter').selectOption('');
  await panel.locator('select.jp-InferPanel-statusFilter').selectOption('succeeded');
  await expect(jobRow(panel, jobId)).toBeVisible();
  await panel.locator('select.jp-InferPanel-statusFilter').selectOption('');
});

test('Cancel stops a long running job', async ({ page }) => {
  const { panel, dir, dialog } = await runDialogIn(page, ['big.csv'], 'churn', 'parquet');
  await dialog.getByRole('button', { name: 'Run' }).click();
  const jobId = await startedJobId(page, `${dir}/big.churn.parquet`);
  const row = jobRow(panel, jobId);
  await expect(row).toHaveAttribute('data-status', 'running', { timeout: 60_000 });
  await row.getByRole('button', { name: /^Cancel/ }).click();
  await expect(row).toHaveAttribute('data-status', 'canceled', { timeout: 60_000 });
  await expect(row.getByRole('button', { name: /^Cancel/ })).toHaveCount(0);
  // The bar and the figure stop where the job stopped: its stored progress, not a full bar.
  const api = await apiContext();
  const stored = await (await api.get(`/jupyter-infer/api/jobs/${jobId}`)).json();
  await api.dispose();
  const pct = Math.floor(stored.progress ?? 0);
  await expect(row.getByRole('progressbar')).toHaveAttribute('aria-valuenow', String(pct));
  await expect(row.locator('.jp-InferPanel-jobDetails')).toContainText(`stopped at ${pct}%`);
  if (stored.rows_total && stored.rows_done < stored.rows_total) {
    expect(pct).toBeLessThan(100);
  }
  await expect(page.locator('.Toastify__toast', { hasText: `Inference ${jobId} canceled` })).toBeVisible();
  expect(existsInRoot(`${dir}/big.churn.parquet`)).toBe(false);
});

test('a server error is shown as a notification with its detail', async ({ page }) => {
  await openLab(page);
  await openPanel(page);
  const api = await apiContext();
  // A file that disappears between opening the dialog and clicking Run.
  const put = await api.put('/api/contents/data/gone.csv', {
    data: { type: 'file', format: 'text', content: 'tenure,spend,plan\n1,2,basic\n' }
  });
  expect(put.ok()).toBe(true);
  await openFolder(page, 'data');
  const dialog = await openRunDialog(page, 'gone.csv');
  expect((await api.delete('/api/contents/data/gone.csv')).ok()).toBe(true);
  await dialog.getByRole('button', { name: 'Run' }).click();
  const toast = page.locator('.Toastify__toast', { hasText: 'Inference could not start' });
  await expect(toast).toBeVisible();
  await expect(toast).toContainText('gone.csv');
  await page.waitForTimeout(1000); // let the toast finish sliding in
  await screenshot(page, 'server-error-notification');
  await api.dispose();
});

test('jobs survive a page reload', async ({ page }) => {
  await openLab(page);
  const panel = await openPanel(page);
  await expect(panel.locator('.jp-InferPanel-job').first()).toBeVisible();
  const before = await panel.locator('.jp-InferPanel-job').evaluateAll(els =>
    els.map(e => `${e.getAttribute('data-job-id')}:${e.getAttribute('data-status')}`)
  );
  expect(before.length).toBeGreaterThan(3);
  // Wait until JupyterLab has saved the layout with the panel open (the save is debounced).
  const api = await apiContext();
  await expect
    .poll(async () => JSON.stringify(await (await api.get('/lab/api/workspaces/default')).json()), {
      timeout: 30_000
    })
    .toContain('"current":"jupyter-infer-panel"');
  await api.dispose();
  // A plain reload (the login cookie stays; no workspace reset): the jobs come back from the server.
  await page.goto('/lab');
  await waitForApp(page);
  // The layout restorer reopens the panel.
  const again = page.locator('#jupyter-infer-panel');
  await expect(again).toBeVisible();
  await expect(again.locator('.jp-InferPanel-job')).toHaveCount(before.length);
  const after = await again.locator('.jp-InferPanel-job').evaluateAll(els =>
    els.map(e => `${e.getAttribute('data-job-id')}:${e.getAttribute('data-status')}`)
  );
  expect(after).toEqual(before);
  await command(page, 'jupyter-infer:refresh');
  await expect(again.locator('.jp-InferPanel-job')).toHaveCount(before.length);
});

test('the panel follows the light and dark themes', async ({ page }) => {
  await openLab(page);
  const panel = await openPanel(page);
  await expect(panel.locator('.jp-InferPanel-job').first()).toBeVisible();
  const bg = () => panel.evaluate(el => getComputedStyle(el).backgroundColor);
  const light = await bg();
  await command(page, 'apputils:change-theme', { theme: 'JupyterLab Dark' });
  await expect(page.locator('body')).toHaveAttribute('data-jp-theme-light', 'false');
  await expect.poll(bg).not.toBe(light);
  await screenshot(page, 'panel-dark-theme', panel);
  await command(page, 'apputils:change-theme', { theme: 'JupyterLab Light' });
  await expect(page.locator('body')).toHaveAttribute('data-jp-theme-light', 'true');
  await expect.poll(bg).toBe(light);
});
