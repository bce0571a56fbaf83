/** Shared steps of the UI tests: log in with the token, drive the file browser, the panel and the API. */
import { APIRequestContext, Locator, Page, expect, request } from '@playwright/test';
import * as fs from 'fs';
import * as path from 'path';

export const TOKEN = process.env.JI_UI_TOKEN!;
export const ROOT = process.env.JI_UI_ROOT!;
export const BASE_URL = `http://127.0.0.1:${process.env.JI_UI_PORT}`;
export const SCREENSHOTS = path.join(__dirname, 'screenshots');

/** An API client authenticated with the token header (for seeding and checks, not for the UI). */
export async function apiContext(): Promise<APIRequestContext> {
  return request.newContext({
    baseURL: BASE_URL,
    extraHTTPHeaders: { Authorization: `token ${TOKEN}` }
  });
}

/**
 * Open JupyterLab the way a user does: the token in the URL once, then the login cookie and the XSRF
 * cookie for every request the page makes (ServerConnection adds X-XSRFToken).
 */
export async function openLab(page: Page, urlPath = '/lab'): Promise<void> {
  const logs: string[] = [];
  page.on('console', m => logs.push(`${m.type()}: ${m.text()}`));
  page.on('pageerror', e => logs.push(`pageerror: ${e.message}`));
  const sep = urlPath.includes('?') ? '&' : '?';
  await page.goto(`${urlPath}${sep}token=${TOKEN}&reset`);
  await waitForApp(page);
  const active = await page.evaluate(() =>
    (window as any).jupyterapp.isPluginActivated('jupyter-infer:plugin')
  );
  if (!active) {
    throw new Error(`jupyter-infer:plugin is not active. Browser console:\n${logs.join('\n')}`);
  }
}

/** Wait until JupyterLab has started and restored its layout. */
export async function waitForApp(page: Page): Promise<void> {
  await page.locator('#jupyterlab-splash').waitFor({ state: 'detached', timeout: 90_000 });
  await page.waitForFunction(() => (window as any).jupyterapp?.commands !== undefined);
  await page.evaluate(async () => {
    await (window as any).jupyterapp.restored;
  });
}

export async function command(page: Page, id: string, args: any = {}): Promise<unknown> {
  return page.evaluate(({ id, args }) => (window as any).jupyterapp.commands.execute(id, args), {
    id,
    args
  });
}

/** Start a command without waiting for it to finish (e.g. running all cells). */
export async function startCommand(page: Page, id: string, args: any = {}): Promise<void> {
  await page.evaluate(
    ({ id, args }) => {
      void (window as any).jupyterapp.commands.execute(id, args);
    },
    { id, args }
  );
}

export function dirItem(page: Page, name: string): Locator {
  return page
    .locator('.jp-DirListing-content .jp-DirListing-item')
    .filter({ has: page.locator('.jp-DirListing-itemText', { hasText: new RegExp(`^${escape(name)}$`) }) });
}

function escape(s: string): string {
  return s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

/** Show the file browser at a folder (relative to the server root). */
export async function openFolder(page: Page, folder: string): Promise<void> {
  await command(page, 'filebrowser:go-to-path', { path: `/${folder}` });
  await expect(page.locator('.jp-FileBrowser .jp-BreadCrumbs')).toContainText(folder);
}

/** The Inference panel, opened by clicking its tab in the right sidebar (unless already open). */
export async function openPanel(page: Page): Promise<Locator> {
  const panel = page.locator('#jupyter-infer-panel');
  const tab = page.locator('.jp-SideBar.jp-mod-right .lm-TabBar-tab[data-id="jupyter-infer-panel"]');
  await expect(tab).toBeVisible();
  if (!(await panel.isVisible())) {
    await tab.click();
  }
  await expect(panel).toBeVisible();
  return panel;
}

export function jobRow(panel: Locator, jobId: string): Locator {
  return panel.locator(`.jp-InferPanel-job[data-job-id="${jobId}"]`);
}

/** Right-click a data file and choose "Run inference…"; returns the dialog. */
export async function openRunDialog(page: Page, fileName: string): Promise<Locator> {
  const item = dirItem(page, fileName);
  await item.click({ button: 'right' });
  await page.getByRole('menuitem', { name: 'Run inference…' }).click();
  const dialog = page.locator('.jp-Dialog');
  await expect(dialog.locator('.jp-InferDialog')).toBeVisible();
  return dialog;
}

/** Lab with the panel open, a fresh folder holding `files` open in the file browser, and the Run
 * dialog of its first file with `model` and output `format` chosen. */
export async function runDialogIn(
  page: Page,
  files: string[],
  model: string,
  format: string
): Promise<{ panel: Locator; dir: string; dialog: Locator }> {
  await openLab(page);
  const panel = await openPanel(page);
  const dir = freshFolder(files);
  await openFolder(page, dir);
  const dialog = await openRunDialog(page, files[0]);
  await selectModel(dialog, model);
  await dialog.locator('select.jp-InferDialog-format').selectOption(format);
  return { panel, dir, dialog };
}

/** Wait for the "Inference started (job_…): writing <output>" notification and return the job id. */
export async function startedJobId(page: Page, output: string): Promise<string> {
  const toast = page
    .locator('.Toastify__toast', { hasText: 'Inference started' })
    .filter({ hasText: `writing ${output}` })
    .first();
  await expect(toast).toBeVisible();
  const m = /\((job_[^)]+)\)/.exec((await toast.textContent()) ?? '');
  expect(m).not.toBeNull();
  return m![1];
}

export async function screenshot(page: Page, name: string, target?: Locator): Promise<void> {
  fs.mkdirSync(SCREENSHOTS, { recursive: true });
  const file = path.join(SCREENSHOTS, `${name}.png`);
  if (target) {
    await target.screenshot({ path: file });
  } else {
    await page.screenshot({ path: file });
  }
}

export function existsInRoot(rel: string): boolean {
  return fs.existsSync(path.join(ROOT, rel));
}

/** Pick a model in the Run inference dialog by its name (the ranked radio list). */
export async function selectModel(dialog: Locator, name: string): Promise<void> {
  const item = dialog.locator(`.jp-InferDialog-modelItem[data-model-name="${name}"]`);
  await expect(item, `model ${name} in the dialog`).toHaveCount(1);
  await item.locator('input[type=radio]').check();
}

/** Open the command palette from the View menu (retried: right after load the app may steal focus). */
export async function openPalette(page: Page): Promise<Locator> {
  const palette = page.locator('#command-palette');
  await expect(async () => {
    const input = palette.locator('input');
    if (!(await input.isVisible())) {
      await page.locator('.lm-MenuBar-itemLabel', { hasText: /^View$/ }).click();
      await page.getByRole('menuitem', { name: /Command Palette/ }).click();
    } else if (!(await input.evaluate(el => el === document.activeElement))) {
      await input.click();
    }
    await expect(input).toBeFocused({ timeout: 2000 });
  }).toPass({ timeout: 30_000 });
  return palette;
}

/**
 * A new folder under the server root with links to seeded data files, so each test (and each retry) starts
 * with no earlier outputs beside its inputs. Returns the folder's server path.
 */
export function freshFolder(files: string[]): string {
  const folder = `run-${Date.now().toString(36)}`;
  fs.mkdirSync(path.join(ROOT, folder));
  for (const f of files) {
    const src = path.join(ROOT, 'data', f);
    const dst = path.join(ROOT, folder, f);
    try {
      fs.linkSync(src, dst);
    } catch {
      fs.copyFileSync(src, dst);
    }
  }
  return folder;
}

/**
 * Fix what screenshots would otherwise pick up from the machine: the fonts (DejaVu, installed with chromium's
 * fontconfig on Debian) and the blinking caret. Theme colours and sizes stay JupyterLab's own.
 */
export async function stableLook(page: Page): Promise<void> {
  await page.addStyleTag({
    content: `body {
      --jp-ui-font-family: 'DejaVu Sans', sans-serif;
      --jp-content-font-family: 'DejaVu Sans', sans-serif;
      --jp-code-font-family: 'DejaVu Sans Mono', monospace;
      --jp-code-font-family-default: 'DejaVu Sans Mono', monospace;
    }
    * { caret-color: transparent !important; }`
  });
}

function notebookCell(source: string) {
  return { cell_type: 'code', metadata: {}, source, outputs: [], execution_count: null };
}

/**
 * Write a notebook of code cells through the contents API, open it, wait until its kernel is idle, and run every
 * cell (without waiting for them). Returns the notebook panel.
 */
export async function runNotebook(page: Page, name: string, cells: string[]): Promise<Locator> {
  const api = await apiContext();
  const nb = {
    type: 'notebook',
    content: {
      nbformat: 4,
      nbformat_minor: 5,
      metadata: {
        kernelspec: { name: 'python3', display_name: 'Python 3 (ipykernel)', language: 'python' }
      },
      cells: cells.map(notebookCell)
    }
  };
  expect((await api.put(`/api/contents/${name}`, { data: nb })).ok()).toBe(true);
  await api.dispose();
  await openLab(page, `/lab/tree/${name}`);
  const notebook = page.locator('.jp-NotebookPanel');
  await expect(notebook).toBeVisible();
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
  return notebook;
}
