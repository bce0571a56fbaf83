/**
 * Screenshots as tests: the panel with a job of every status (light and dark), the dialog with a ranked model
 * list and its poor-match warning, and a notebook with a finished %%infer and each per-type picture, compared
 * with the baselines in ui-tests/baselines/ (`jlpm test:ui:update` rewrites them, on purpose only). Times, ids
 * and durations are masked; fonts are pinned (helpers.stableLook). Also checks what a screenshot cannot: the
 * panel works from the keyboard, its controls are labelled, and a clipped name always has a tooltip.
 */
import { Locator, Page, expect, test } from '@playwright/test';
import { ChildProcessWithoutNullStreams, spawn } from 'child_process';
import * as path from 'path';

import {
  command,
  freshFolder,
  jobRow,
  openFolder,
  openLab,
  openPanel,
  openRunDialog,
  runNotebook,
  selectModel,
  stableLook
} from '../helpers';

test.describe.configure({ mode: 'serial' });

/** The jobs of status_jobs.py (one of every status), alive until `stop`. */
async function jobsOfEveryStatus(): Promise<{ ids: Record<string, string>; stop: () => Promise<void> }> {
  const proc: ChildProcessWithoutNullStreams = spawn('python', [path.join(__dirname, '..', 'status_jobs.py')], {
    env: process.env
  });
  let err = '';
  proc.stderr.on('data', d => (err += d));
  const first = await new Promise<string>((resolve, reject) => {
    let out = '';
    proc.stdout.on('data', d => {
      out += d;
      if (out.includes('\n')) {
        resolve(out.split('\n')[0]);
      }
    });
    proc.on('exit', code => reject(new Error(`status_jobs.py exited (${code}): ${err}`)));
  });
  const stop = async () => {
    const done = new Promise(resolve => proc.on('exit', resolve));
    proc.stdin.end();
    await done;
  };
  return { ids: JSON.parse(first), stop };
}

const ORDER = ['running', 'queued', 'succeeded', 'failed', 'canceled'];

/** Screenshot the top of the panel down to the last of the given cards. */
async function expectPanelTop(page: Page, panel: Locator, last: Locator, name: string): Promise<void> {
  const p = (await panel.boundingBox())!;
  const l = (await last.boundingBox())!;
  await expect(page).toHaveScreenshot(name, {
    clip: { x: p.x, y: p.y, width: p.width, height: l.y + l.height + 6 - p.y },
    mask: [
      panel.locator('.jp-InferPanel-time'),
      panel.locator('.jp-InferPanel-jobId'),
      panel.locator('.jp-InferPanel-status-running .jp-InferPanel-elapsed'),
      panel.locator('.jp-InferPanel-status-queued .jp-InferPanel-elapsed')
    ]
  });
}

test('the panel shows a job of every status, light and dark, and works from the keyboard', async ({
  page
}) => {
  const { ids, stop } = await jobsOfEveryStatus();
  try {
    await openLab(page);
    await stableLook(page);
    const panel = await openPanel(page);
    const cards = ORDER.map(s => jobRow(panel, ids[s]));
    for (const [i, card] of cards.entries()) {
      await expect(card).toHaveAttribute('data-status', ORDER[i]);
    }
    // newest first: our five jobs are the top of the list
    const top = await panel.locator('.jp-InferPanel-job').evaluateAll(els =>
      els.slice(0, 5).map(e => e.getAttribute('data-job-id'))
    );
    expect(top).toEqual(ORDER.map(s => ids[s]));
    const canceled = cards[4];
    await expect(canceled.getByRole('progressbar')).toHaveAttribute('aria-valuenow', '62');
    await expect(canceled.locator('.jp-InferPanel-jobDetails')).toContainText('stopped at 62%');
    await expect(cards[3].locator('.jp-InferPanel-jobDetails')).toContainText('stopped at 20%');

    // One label per concept: the type filter offers exactly the types the cards show.
    const offered = await panel.locator('select.jp-InferPanel-typeFilter option').allTextContents();
    for (const shown of await panel.locator('.jp-InferPanel-jobType').allTextContents()) {
      expect(offered).toContain(shown);
    }
    // A name cut short at this width always carries the whole of it in its tooltip.
    const clipped = await panel.locator('.jp-InferPanel-clip').evaluateAll(els =>
      els
        .filter(e => e.scrollWidth > e.clientWidth)
        .map(e => ({ text: e.textContent ?? '', title: e.getAttribute('title') ?? '' }))
    );
    for (const c of clipped) {
      expect(c.title).toContain(c.text);
    }

    await expectPanelTop(page, panel, cards[4], 'panel-every-status.png');
    await command(page, 'apputils:change-theme', { theme: 'JupyterLab Dark' });
    await expect(page.locator('body')).toHaveAttribute('data-jp-theme-light', 'false');
    await expectPanelTop(page, panel, cards[4], 'panel-every-status-dark.png');
    await command(page, 'apputils:change-theme', { theme: 'JupyterLab Light' });
    await expect(page.locator('body')).toHaveAttribute('data-jp-theme-light', 'true');

    // Labelled for screen readers
    const running = cards[0];
    await expect(
      running.getByRole('progressbar', { name: 'Progress of infer_batch churn v1' })
    ).toHaveAttribute('aria-valuenow', '37');
    await expect(panel.getByRole('button', { name: 'Refresh jobs' })).toBeVisible();
    await expect(panel.getByRole('combobox', { name: 'Filter by type' })).toBeVisible();
    // The tabs: arrow keys move between them
    const jobsTab = panel.getByRole('tab', { name: 'Jobs' });
    await jobsTab.focus();
    await page.keyboard.press('ArrowRight');
    const modelsTab = panel.getByRole('tab', { name: /Models/ });
    await expect(modelsTab).toBeFocused();
    await expect(modelsTab).toHaveAttribute('aria-selected', 'true');
    await expect(panel.getByRole('listitem', { name: /prediction model churn v1/ })).toBeVisible();
    await page.keyboard.press('ArrowRight');
    await expect(jobsTab).toBeFocused();
    // Keyboard only: Tab from the status filter to the running job's Cancel, Enter cancels it; the bar stays
    // where the job stopped.
    await panel.getByRole('combobox', { name: 'Filter by status' }).focus();
    const cancel = running.getByRole('button', { name: 'Cancel infer_batch churn v1' });
    for (let i = 0; i < 30 && !(await cancel.evaluate(el => el === document.activeElement)); i++) {
      await page.keyboard.press('Tab');
    }
    await expect(cancel).toBeFocused();
    await page.keyboard.press('Enter');
    await expect(running).toHaveAttribute('data-status', 'canceled', { timeout: 30_000 });
    await expect(running.getByRole('progressbar')).toHaveAttribute('aria-valuenow', '37');
    await expect(running.locator('.jp-InferPanel-jobDetails')).toContainText('stopped at 37%');
  } finally {
    await stop();
  }
});

test('the dialog ranks the models by the columns of the file and warns before a poor match', async ({
  page
}) => {
  await openLab(page);
  await stableLook(page);
  const dir = freshFolder(['new.csv']);
  await openFolder(page, dir);
  const dialog = await openRunDialog(page, 'new.csv');
  const names = await dialog.locator('.jp-InferDialog-modelItem').evaluateAll(els =>
    els.map(e => e.getAttribute('data-model-name'))
  );
  expect(names.slice(-2)).toEqual(['spend-forecast', 'income-band']); // 2 of 2, then 1 of 4
  const best = dialog.locator('.jp-InferDialog-modelItem').first();
  await expect(best.locator('input')).toBeChecked();
  await expect(best.locator('.jp-InferDialog-matchLabel')).toHaveText('3 of 3 columns');
  await expect(dialog.locator('.jp-InferDialog-input')).toHaveText(
    'new.csv: 3 columns (tenure, spend, plan)'
  );
  // the radio group is one tab stop: the arrow keys move the choice
  await expect(best.locator('input')).toBeFocused();
  await page.keyboard.press('ArrowDown');
  await expect(dialog.locator('.jp-InferDialog-modelItem').nth(1).locator('input')).toBeChecked();
  await page.keyboard.press('ArrowUp');
  await expect(dialog.locator('.jp-Dialog-content')).toHaveScreenshot('dialog-ranked-models.png');

  await selectModel(dialog, 'income-band');
  await expect(dialog.locator('.jp-InferDialog-match')).toHaveText(
    'income-band: 1 of 4 columns; missing: age, income, region (they would be empty values). ' +
      'Running it asks for confirmation.'
  );
  await dialog.getByRole('button', { name: 'Run' }).click();
  const confirm = page.locator('.jp-Dialog', { hasText: 'income-band does not fit new.csv' });
  await expect(confirm).toBeVisible();
  await expect(confirm.locator('.jp-Dialog-content')).toHaveScreenshot('dialog-poor-match.png');
  await confirm.getByRole('button', { name: 'Back' }).click();
  // back in the dialog, with the choice kept; cancel: nothing runs
  const again = page.locator('.jp-Dialog .jp-InferDialog');
  await expect(again.locator('.jp-InferDialog-modelItem[data-model-name="income-band"] input')).toBeChecked();
  await page.locator('.jp-Dialog').getByRole('button', { name: 'Cancel' }).click();
  await expect(page.locator('.jp-Dialog')).toHaveCount(0);
});

const PICTURES: [string, string][] = [
  ['%%infer churn\nnew', 'notebook-prediction.png'],
  ['%%infer spend-forecast\nnew', 'notebook-regression.png'],
  ['%%infer segments\nnew', 'notebook-clustering.png'],
  ['%%infer odd-customers\nnew', 'notebook-anomaly-ids.png'],
  ['%%infer odd-customers --anomaly-format per_row\nnew', 'notebook-anomaly-per-row.png'],
  ['%%infer embed\nnew', 'notebook-embedding.png'],
  ['%%infer lookalike\nnew', 'notebook-search.png'],
  ['%%infer factors\nnew', 'notebook-factors.png']
];

test('a notebook shows a finished %%infer and the picture of every model type', async ({ page }) => {
  const setup = [
    '%load_ext jupyter_infer\n%config InferMagics.max_rows = 5',
    'import pandas as pd\nnew = pd.read_csv("data/new.csv")'
  ];
  const notebook = await runNotebook(page, 'pictures.ipynb', [
    ...setup,
    ...PICTURES.map(p => p[0]),
    '%infer_status'
  ]);
  await stableLook(page);
  const cells = notebook.locator('.jp-Cell');
  const statusCell = cells.nth(setup.length + PICTURES.length);
  const status = statusCell.locator('.ji-jobs table');
  await expect(status).toBeVisible({ timeout: 180_000 });

  // A finished %%infer: the final progress widget, then the result.
  const first = cells.nth(setup.length);
  const widget = first.locator('.jupyter-widgets').first();
  await expect(widget).toContainText('succeeded');
  await first.scrollIntoViewIfNeeded();
  await expect(first).toHaveScreenshot('notebook-finished-infer.png', {
    mask: [first.locator('.ji-time'), widget.locator('code'), widget.locator('.widget-html').nth(1)]
  });
  // Each model type's picture (the result's header, picture and first rows).
  for (const [i, [, name]] of PICTURES.entries()) {
    const result = cells.nth(setup.length + i).locator('.ji-result');
    await expect(result).toBeVisible();
    await result.scrollIntoViewIfNeeded();
    await expect(result).toHaveScreenshot(name, { mask: [result.locator('.ji-time')] });
  }

  // %infer_status in a normal-width notebook: ids, types, names, progress, dates and origins on one line each
  // (only the detail text may wrap).
  const lines = await status.evaluate(table =>
    Array.from(table.querySelectorAll('tr'))
      .slice(1)
      .flatMap(tr =>
        Array.from(tr.querySelectorAll('td'))
          .filter((_, i) => i !== 4)
          .map(td => {
            const range = document.createRange();
            range.selectNodeContents(td);
            const style = getComputedStyle(td);
            const line = parseFloat(style.lineHeight) || parseFloat(style.fontSize) * 1.3;
            return { text: td.textContent ?? '', lines: range.getBoundingClientRect().height / line };
          })
      )
  );
  expect(lines.length).toBeGreaterThan(10);
  for (const l of lines) {
    expect(l.lines, `"${l.text}" wraps`).toBeLessThan(1.6);
  }
  await expect(status.locator('time').first()).toHaveAttribute('title', /^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d UTC$/);
});
