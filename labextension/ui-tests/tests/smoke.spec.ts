/** The extension loads in a token + XSRF protected JupyterLab and its panel renders. */
import { expect, test } from '@playwright/test';

import { openLab, openPanel } from '../helpers';

test('the extension activates and its panel opens', async ({ page }) => {
  const logs: string[] = [];
  page.on('console', m => logs.push(m.text()));
  await openLab(page);
  expect(logs).toContain('jupyter-infer: JupyterLab extension activated');
  const panel = await openPanel(page);
  await expect(panel.locator('.jp-InferPanel-header')).toHaveText('Inference');
});
