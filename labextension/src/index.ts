/**
 * The jupyter-infer JupyterLab plugin: the Inference panel in the right sidebar, "Run inference..."
 * on data files in the file browser, command palette entries, and server errors as notifications.
 */
import {
  ILayoutRestorer,
  JupyterFrontEnd,
  JupyterFrontEndPlugin
} from '@jupyterlab/application';
import {
  Dialog,
  ICommandPalette,
  MainAreaWidget,
  Notification,
  showDialog
} from '@jupyterlab/apputils';
import { IDefaultFileBrowser } from '@jupyterlab/filebrowser';

import { ApiError, IJob, IModel, InferAPI, OutputType } from './api';
import { IFileInfo, IRunInferenceChoice, RunInferenceBody, poorMatchMessage } from './dialog';
import { inferIcon } from './icon';
import { isPoorMatch } from './match';
import { PanelModel } from './model';
import {
  collisionFreeOutputPath,
  isDataFile,
  resultTitle,
  serverPath,
  splitPath
} from './naming';
import { InferencePanel } from './panel';
import { JobTracker } from './tracker';
import { ResultView } from './viewer';

export namespace CommandIDs {
  export const openPanel = 'jupyter-infer:open-panel';
  export const runInference = 'jupyter-infer:run-inference';
  export const refresh = 'jupyter-infer:refresh';
}

const CATEGORY = 'Inference';
const ERROR_AUTOCLOSE_MS = 10000;
const MAX_NAME_RETRIES = 3;

/** Show an API (or other) error as a notification carrying the server's `detail`. */
export function notifyError(title: string, error: unknown): void {
  const detail =
    error instanceof ApiError ? error.detail : error instanceof Error ? error.message : String(error);
  console.error(`jupyter-infer: ${title}:`, error);
  Notification.error(`${title}: ${detail}`, { autoClose: ERROR_AUTOCLOSE_MS });
}

function download(blob: Blob, filename: string): void {
  const url = URL.createObjectURL(blob);
  const a = document.createElement('a');
  a.href = url;
  a.download = filename;
  a.style.display = 'none';
  document.body.appendChild(a);
  a.click();
  a.remove();
  setTimeout(() => URL.revokeObjectURL(url), 10000);
}

const plugin: JupyterFrontEndPlugin<void> = {
  id: 'jupyter-infer:plugin',
  description: 'Inference jobs panel and "Run inference..." on data files.',
  autoStart: true,
  optional: [ICommandPalette, ILayoutRestorer, IDefaultFileBrowser],
  activate: (
    app: JupyterFrontEnd,
    palette: ICommandPalette | null,
    restorer: ILayoutRestorer | null,
    fileBrowser: IDefaultFileBrowser | null
  ) => {
    const api = new InferAPI(app.serviceManager.serverSettings);
    const contents = app.serviceManager.contents;
    const model = new PanelModel(api);
    const tracker = new JobTracker(api);

    const resultViews = new Map<string, MainAreaWidget>();

    const openFile = (path: string) => {
      void app.commands.execute('docmanager:open', { path }).catch(e => {
        notifyError(`Cannot open ${path}`, e);
      });
    };

    const panel = new InferencePanel(model, {
      cancel: (job: IJob) => {
        model.cancel(job).catch(e => notifyError(`Cannot cancel ${job.id}`, e));
      },
      openResult: (job: IJob, format: OutputType) => {
        if (format === 'parquet') {
          return;
        }
        api
          .resultBlob(job.id, format)
          .then(blob => blob.text())
          .then(text => {
            const key = `${job.id}.${format}`;
            const open = resultViews.get(key);
            if (open && !open.isDisposed) {
              app.shell.activateById(open.id);
              return;
            }
            const content = new ResultView(job.id, format, text, resultTitle(job, format));
            const widget = new MainAreaWidget({ content });
            widget.id = `jupyter-infer-result-view-${job.id}-${format}`;
            widget.title.label = content.title.label;
            widget.title.icon = inferIcon;
            resultViews.set(key, widget);
            widget.disposed.connect(() => resultViews.delete(key));
            app.shell.add(widget, 'main');
          })
          .catch(e => notifyError(`Cannot open the result of ${job.id}`, e));
      },
      downloadResult: (job: IJob, format: OutputType) => {
        api
          .resultBlob(job.id, format)
          .then(blob => download(blob, `${job.id}.${format}`))
          .catch(e => notifyError(`Cannot download the result of ${job.id}`, e));
      },
      openFile
    });
    model.pollFailed.connect((_, err) => notifyError('Inference jobs', err));
    app.shell.add(panel, 'right', { rank: 600 });
    if (restorer) {
      restorer.add(panel, 'jupyter-infer-panel');
    }

    tracker.finished.connect((_, job) => {
      void model.refresh();
      if (fileBrowser) {
        void fileBrowser.model.refresh();
      }
      if (job.status === 'succeeded') {
        const out = job.outputPath;
        Notification.success(
          out ? `Inference finished: wrote ${out}` : `Inference ${job.id} finished`,
          {
            autoClose: 8000,
            actions: out ? [{ label: 'Open', callback: () => openFile(out) }] : []
          }
        );
      } else if (job.status === 'failed') {
        Notification.error(`Inference ${job.id} failed: ${job.errorMessage ?? 'no detail'}`, {
          autoClose: ERROR_AUTOCLOSE_MS
        });
      } else {
        Notification.info(`Inference ${job.id} ${job.status}`, { autoClose: 5000 });
      }
    });

    /** The data file selected in the file browser, if exactly one is. */
    const selectedDataFile = (): string | null => {
      if (!fileBrowser) {
        return null;
      }
      const items = Array.from(fileBrowser.selectedItems());
      if (items.length !== 1 || items[0].type === 'directory' || !isDataFile(items[0].path)) {
        return null;
      }
      return items[0].path;
    };

    const existingNames = async (dir: string): Promise<string[]> => {
      const listing = await contents.get(dir, { content: true });
      return Array.isArray(listing.content)
        ? listing.content.map((c: { name: string }) => c.name)
        : [];
    };

    /** The input file's columns from its header; a failure only means the models are not ranked. */
    const fileInfo = async (rel: string): Promise<IFileInfo> => {
      try {
        return await api.fileColumns(rel);
      } catch (e) {
        return { columns: null, note: e instanceof ApiError ? e.detail : String(e) };
      }
    };

    /** Ask which model and options; a poorly matching model is confirmed before it runs. */
    const chooseModel = async (
      models: IModel[],
      rel: string,
      names: string[],
      file: IFileInfo
    ): Promise<IRunInferenceChoice | null> => {
      const filename = splitPath(rel)[1];
      let previous: IRunInferenceChoice | null = null;
      for (;;) {
        const body: RunInferenceBody = new RunInferenceBody(
          models,
          rel,
          names,
          previous
            ? {
                model: previous.model.id,
                outputType: previous.outputType,
                anomalyFormat: previous.anomalyFormat,
                k: previous.k,
                excludeSelfMatches: previous.excludeSelfMatches
              }
            : {},
          file
        );
        const result: Dialog.IResult<IRunInferenceChoice> = await showDialog({
          title: `Run inference on ${filename}`,
          body,
          buttons: [Dialog.cancelButton(), Dialog.okButton({ label: 'Run' })],
          focusNodeSelector: '.jp-InferDialog-models input:checked'
        });
        if (!result.button.accept || !result.value) {
          return null;
        }
        const choice: IRunInferenceChoice = result.value;
        if (!isPoorMatch(choice.match)) {
          return choice;
        }
        const confirm = await showDialog({
          title: `${choice.model.name} does not fit ${filename}`,
          body: poorMatchMessage(choice.match, filename),
          buttons: [
            Dialog.cancelButton({ label: 'Back' }),
            Dialog.warnButton({ label: 'Run anyway' })
          ]
        });
        if (confirm.button.accept) {
          return choice;
        }
        previous = choice;
      }
    };

    const runInference = async (path: string) => {
      const rel = serverPath(contents.localPath ? contents.localPath(path) : path);
      const [dir] = splitPath(path);
      let models;
      let names: string[];
      let file: IFileInfo;
      try {
        [models, names, file] = await Promise.all([
          api.listModels(),
          existingNames(dir),
          fileInfo(rel)
        ]);
      } catch (e) {
        notifyError('Cannot start inference', e);
        return;
      }
      if (!models.length) {
        Notification.warning(
          'No models to run: train one first (%%infer_train in a notebook).',
          { autoClose: 8000 }
        );
        return;
      }
      const ready = models.filter(m => !m.status || m.status === 'ready');
      const choice = await chooseModel(ready.length ? ready : models, rel, names, file);
      if (!choice) {
        return;
      }
      for (let attempt = 0; ; attempt++) {
        let outputPath: string;
        try {
          const fresh = await existingNames(dir);
          outputPath = collisionFreeOutputPath(rel, choice.model.name, choice.outputType, fresh);
        } catch (e) {
          notifyError('Cannot list the output folder', e);
          return;
        }
        try {
          const submitted = await api.inferAsync({
            model: choice.model.id,
            path: rel,
            outputType: choice.outputType,
            anomalyFormat: choice.anomalyFormat,
            k: choice.k,
            excludeSelfMatches: choice.excludeSelfMatches,
            outputPath
          });
          tracker.watch(submitted.jobId);
          Notification.info(`Inference started (${submitted.jobId}): writing ${outputPath}`, {
            autoClose: 4000
          });
          app.shell.activateById(panel.id);
          void model.refresh();
          return;
        } catch (e) {
          // 409: the output name was taken between listing and writing; pick the next one.
          if (e instanceof ApiError && e.status === 409 && attempt < MAX_NAME_RETRIES) {
            continue;
          }
          notifyError('Inference could not start', e);
          return;
        }
      }
    };

    app.commands.addCommand(CommandIDs.openPanel, {
      label: 'Open Inference Panel',
      caption: 'Show inference jobs and models',
      icon: inferIcon,
      execute: () => {
        app.shell.activateById(panel.id);
      }
    });

    app.commands.addCommand(CommandIDs.refresh, {
      label: 'Refresh Inference Jobs',
      execute: async () => {
        await model.refresh(true);
      }
    });

    app.commands.addCommand(CommandIDs.runInference, {
      label: args =>
        args.path || args.fromContextMenu ? 'Run inference…' : 'Run Inference on Selected File…',
      caption: 'Run a trained model on this data file; the result is written next to it',
      icon: inferIcon,
      // In the file browser's context menu only on data files; in the palette always (it then runs on
      // the selected file, or says to select one).
      isVisible: args =>
        args.fromContextMenu ? Boolean(selectedDataFile()) : true,
      execute: async args => {
        const path = (args.path as string) || selectedDataFile();
        if (!path) {
          Notification.warning('Select a .csv, .parquet or .json file in the file browser first.');
          return;
        }
        await runInference(path);
      }
    });

    app.contextMenu.addItem({
      command: CommandIDs.runInference,
      args: { fromContextMenu: true },
      selector: '.jp-DirListing-item[data-isdir="false"]',
      rank: 3
    });

    if (palette) {
      for (const command of [CommandIDs.openPanel, CommandIDs.refresh, CommandIDs.runInference]) {
        palette.addItem({ command, category: CATEGORY });
      }
    }

    console.log('jupyter-infer: JupyterLab extension activated');
  }
};

export default plugin;
