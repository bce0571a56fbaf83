/**
 * Playwright UI tests of the lab extension against a real `jupyter lab` (token + XSRF on), in headless
 * Chromium from Debian's `chromium` package. Playwright never downloads a browser here.
 *
 * Run: `cd labextension && jlpm test:ui` (needs `jupyter lab` and jupyter_infer installed, and chromium).
 */
import { defineConfig } from '@playwright/test';
import { execFileSync, execSync } from 'child_process';
import * as crypto from 'crypto';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';

// The config is evaluated in the runner and again in each worker: choose everything once and pass it
// on through the environment, which workers inherit.
if (!process.env.JI_UI_PORT) {
  const port = execFileSync(
    'python',
    [
      '-c',
      'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
    ],
    { encoding: 'utf8' }
  ).trim();
  const base = fs.mkdtempSync(path.join(os.tmpdir(), 'jupyter-infer-ui-'));
  const dirs: Record<string, string> = {
    JI_UI_ROOT: path.join(base, 'root'),
    JI_UI_SETTINGS: path.join(base, 'settings'),
    JI_UI_WORKSPACES: path.join(base, 'workspaces'),
    JUPYTER_INFER_HOME: path.join(base, 'store')
  };
  for (const [k, d] of Object.entries(dirs)) {
    fs.mkdirSync(d, { recursive: true });
    process.env[k] = d;
  }
  // No "receive Jupyter news?" toast in the way of the notification checks.
  const notif = path.join(dirs.JI_UI_SETTINGS, '@jupyterlab', 'apputils-extension');
  fs.mkdirSync(notif, { recursive: true });
  fs.writeFileSync(
    path.join(notif, 'notification.jupyterlab-settings'),
    JSON.stringify({ fetchNews: 'false' })
  );
  // Notebooks start their kernel without asking.
  const nbSettings = path.join(dirs.JI_UI_SETTINGS, '@jupyterlab', 'notebook-extension');
  fs.mkdirSync(nbSettings, { recursive: true });
  fs.writeFileSync(
    path.join(nbSettings, 'tracker.jupyterlab-settings'),
    JSON.stringify({ autoStartDefaultKernel: true })
  );
  // JupyterLab loads the extension built in THIS checkout (../../jupyter_infer/labextension), whatever is
  // installed in the environment: extra_labextensions_path comes first (jupyter_server_config.py).
  const labext = path.join(base, 'labextensions');
  fs.mkdirSync(labext);
  fs.symlinkSync(
    path.resolve(__dirname, '..', '..', 'jupyter_infer', 'labextension'),
    path.join(labext, 'jupyter-infer')
  );
  process.env.JI_UI_LABEXTENSIONS = labext;
  process.env.JI_UI_BASE = base;
  process.env.JI_UI_PORT = port;
  process.env.JI_UI_TOKEN = crypto.randomBytes(24).toString('hex');
}

function chromiumPath(): string {
  if (process.env.CHROMIUM_PATH) {
    return process.env.CHROMIUM_PATH;
  }
  try {
    return execSync('command -v chromium || command -v chromium-browser', {
      encoding: 'utf8',
      shell: '/bin/sh'
    }).trim();
  } catch {
    throw new Error('Debian chromium not found: apt-get install -y chromium');
  }
}

const port = process.env.JI_UI_PORT;
export const baseURL = `http://127.0.0.1:${port}`;

export default defineConfig({
  testDir: './tests',
  outputDir: './test-results',
  timeout: 180_000,
  // Screenshot tests (tests/visual.spec.ts) compare with the committed baselines in ui-tests/baselines/.
  // They are never written by a normal run: `jlpm test:ui:update` rewrites them on purpose (see README).
  snapshotPathTemplate: '{testDir}/../baselines/{arg}{ext}',
  updateSnapshots: 'none',
  expect: {
    timeout: 30_000,
    toHaveScreenshot: {
      animations: 'disabled',
      caret: 'hide',
      scale: 'css',
      // Anti-aliasing differs a little between Chromium builds; a changed layout moves far more pixels.
      threshold: 0.2,
      maxDiffPixelRatio: 0.01
    }
  },
  workers: 1,
  fullyParallel: false,
  // One retry in CI: a fresh JupyterLab sometimes moves focus right after load. Retried tests are
  // reported as flaky in the output.
  retries: process.env.CI ? 1 : 0,
  reporter: [['list']],
  globalSetup: require.resolve('./global-setup'),
  globalTeardown: require.resolve('./global-teardown'),
  use: {
    baseURL,
    headless: true,
    actionTimeout: 30_000,
    viewport: { width: 1400, height: 900 },
    // No video or trace: both need Playwright's own ffmpeg download.
    video: 'off',
    trace: 'off',
    screenshot: 'only-on-failure',
    launchOptions: {
      executablePath: chromiumPath(),
      args: [
        '--no-sandbox',
        '--disable-gpu',
        '--disable-dev-shm-usage',
        '--disable-background-networking',
        '--disable-component-update',
        '--disable-sync',
        '--disable-quic',
        '--no-first-run',
        // The same glyph shapes on every machine for the screenshot tests.
        '--font-render-hinting=none',
        '--force-color-profile=srgb',
        '--force-device-scale-factor=1'
      ]
    }
  },
  webServer: {
    // The server's log goes to <tmp>/lab.log (printed by global teardown when a test failed).
    command: `exec python -m jupyter lab --config=${path.join(
      __dirname,
      'jupyter_server_config.py'
    )} >>${path.join(process.env.JI_UI_BASE!, 'lab.log')} 2>&1`,
    // Any 2xx-403 answer means the server is up (this one is a 403 without the token).
    url: `${baseURL}/api/status`,
    timeout: 120_000,
    reuseExistingServer: false,
    stdout: 'ignore',
    stderr: 'pipe'
  }
});
