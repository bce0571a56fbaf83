/**
 * In a notebook: a running %%infer shows its live progress widget, then the result table.
 */
import { expect, test } from '@playwright/test';

import { runNotebook, screenshot } from '../helpers';

test('%%infer shows a progress widget and then the result table', async ({ page }) => {
  const notebook = await runNotebook(page, 'infer.ipynb', [
    '%load_ext jupyter_infer',
    'import pandas as pd\nbig = pd.read_csv("data/big.csv", nrows=1_000_000)\nlen(big)',
    '%%infer churn\nbig'
  ]);

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
