/**
 * In a notebook: a running %%infer shows its live progress widget, then the result table.
 */
import { expect, test } from '@playwright/test';

import { apiContext, openLab, screenshot, startCommand } from '../helpers';

function cell(source: string) {
  return { cell_type: 'code', metadata: {}, source, outputs: [], execution_count: null };
}

test('%%infer shows a progress widget and then the result table', async ({ page }) => {
  const api = await apiContext();
  const nb = {
    type: 'notebook',
    content: {
      nbformat: 4,
      nbformat_minor: 5,
      metadata: {
        kernelspec: { name: 'python3', display_name: 'Python 3 (ipykernel)', language: 'python' }
      },
      cells: [
        cell('%load_ext jupyter_infer'),
        cell('import pandas as pd\nbig = pd.read_csv("data/big.csv", nrows=1_000_000)\nlen(big)'),
        cell('%%infer churn\nbig')
      ]
    }
  };
  expect((await api.put('/api/contents/infer.ipynb', { data: nb })).ok()).toBe(true);
  await api.dispose();

  await openLab(page, '/lab/tree/infer.ipynb');
  const notebook = page.locator('.jp-NotebookPanel');
  await expect(notebook).toBeVisible();
  // Wait until the notebook's kernel is up and settled, then run everything.
  await page.waitForFunction(
    async () => {
      const w = (window as any).jupyterapp.shell.currentWidget;
      const ctx = w?.sessionContext;
      if (!ctx) {
        return false;
      }
      await ctx.ready;
      const kernel = ctx.session?.kernel;
      if (!kernel) {
        return false;
      }
      await kernel.info;
      return kernel.status === 'idle' && kernel.connectionStatus === 'connected';
    },
    undefined,
    { timeout: 90_000, polling: 500 }
  );
  await startCommand(page, 'notebook:run-all-cells');

  const inferCell = notebook.locator('.jp-Cell').nth(2);
  const output = inferCell.locator('.jp-OutputArea');
  // While the job runs: the live progress widget (ipywidgets) is in the cell's output.
  const widget = output.locator('.jupyter-widgets').first();
  await expect(widget).toBeVisible({ timeout: 120_000 });
  await expect(widget).toContainText('running', { timeout: 60_000 });
  await expect(widget.getByRole('button', { name: /Cancel/ })).toBeVisible();
  await screenshot(page, 'notebook-running-infer');
  // Then the result: an HTML table under a header, with the prediction columns.
  const table = output
    .locator('.jp-RenderedHTMLCommon table')
    .filter({ has: page.locator('th', { hasText: /^prediction_prob$/ }) })
    .first();
  await expect(table).toBeVisible({ timeout: 180_000 });
  await expect(table.locator('th', { hasText: /^prediction$/ })).toBeVisible();
  await expect(table.locator('tbody tr').first()).toBeVisible();
  // The widget stays in the output showing its final state.
  await expect(widget).toBeVisible();
  await expect(widget).toContainText('succeeded');
  await expect(widget).toContainText('1,000,000 rows');
  await expect(inferCell.locator('.jp-OutputArea-output[data-mime-type="application/vnd.jupyter.stderr"]')).toHaveCount(0);
  await inferCell.scrollIntoViewIfNeeded();
  await screenshot(page, 'notebook-finished-infer');
});
