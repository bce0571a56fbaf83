/**
 * In a notebook: a running %%infer shows its live progress widget, then the result table.
 */
import { expect, test } from '@playwright/test';

import { apiContext, command, openLab, screenshot } from '../helpers';

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
        cell('import pandas as pd\nbig = pd.read_csv("data/big.csv", nrows=1_500_000)\nlen(big)'),
        cell('%%infer churn\nbig')
      ]
    }
  };
  expect((await api.put('/api/contents/infer.ipynb', { data: nb })).ok()).toBe(true);
  await api.dispose();

  await openLab(page, '/lab/tree/infer.ipynb');
  const notebook = page.locator('.jp-NotebookPanel');
  await expect(notebook).toBeVisible();
  // Wait for the kernel, then run everything.
  await expect(page.locator('.jp-Notebook-ExecutionIndicator[data-status="idle"]')).toBeVisible({
    timeout: 90_000
  });
  await command(page, 'notebook:run-all-cells');

  const inferCell = notebook.locator('.jp-Cell').nth(2);
  const output = inferCell.locator('.jp-OutputArea');
  // While the job runs: the live progress widget (ipywidgets) is in the cell's output.
  const widget = output.locator('.jupyter-widgets').first();
  await expect(widget).toBeVisible({ timeout: 120_000 });
  // Then the result: an HTML table under a header, with the prediction columns.
  const table = output.locator('.jp-RenderedHTMLCommon table').first();
  await expect(table).toBeVisible({ timeout: 180_000 });
  await expect(table.locator('th', { hasText: 'prediction' }).first()).toBeVisible();
  // The widget stays in the output showing its final state.
  await expect(widget).toBeVisible();
  await expect(inferCell.locator('.jp-OutputArea-output[data-mime-type="application/vnd.jupyter.stderr"]')).toHaveCount(0);
  await inferCell.scrollIntoViewIfNeeded();
  await screenshot(page, 'notebook-finished-infer');
});
