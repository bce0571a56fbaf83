/**
 * Where "Run inference..." writes its result: `<dir>/<stem>.<model name>.<format>`, with `-1`, `-2`, ...
 * before the extension when that name is taken. Pure functions, unit-tested in __tests__/naming.spec.ts.
 */

/** The data files the command applies to. */
export const DATA_EXTENSIONS = ['.csv', '.parquet', '.json'] as const;

export function isDataFile(path: string): boolean {
  const lower = path.toLowerCase();
  return DATA_EXTENSIONS.some(ext => lower.endsWith(ext));
}

/** Split `a/b/c.csv` into `['a/b', 'c.csv']` (dir '' at the root). */
export function splitPath(path: string): [string, string] {
  const clean = path.replace(/\/+$/, '');
  const i = clean.lastIndexOf('/');
  return i < 0 ? ['', clean] : [clean.slice(0, i), clean.slice(i + 1)];
}

/** The file name without its last extension: `data.v2.csv` -> `data.v2`; dotfiles keep their name. */
export function stemOf(filename: string): string {
  const i = filename.lastIndexOf('.');
  return i <= 0 ? filename : filename.slice(0, i);
}

/**
 * A model name made safe for a file name: path separators, `: * ? " < > |` and control characters become `_`
 * (the server's rule for the name it picks when no output_path is sent).
 */
export function safeNamePart(name: string): string {
  // eslint-disable-next-line no-control-regex
  return name.replace(/[/\\\x00-\x1f:*?"<>|]/g, '_');
}

/** The file name for collision index n (0 = no suffix). */
export function outputFileName(
  inputFilename: string,
  modelName: string,
  format: string,
  n = 0
): string {
  const suffix = n > 0 ? `-${n}` : '';
  return `${stemOf(inputFilename)}.${safeNamePart(modelName)}${suffix}.${format}`;
}

function joinPath(dir: string, name: string): string {
  return dir ? `${dir}/${name}` : name;
}

/**
 * The first free output path next to `inputPath`, given the names already in its directory
 * (compared case-sensitively, as the server's file system does on Linux).
 */
export function collisionFreeOutputPath(
  inputPath: string,
  modelName: string,
  format: string,
  existingNames: Iterable<string>
): string {
  const [dir, filename] = splitPath(inputPath);
  const taken = new Set(existingNames);
  for (let n = 0; n < 10000; n++) {
    const name = outputFileName(filename, modelName, format, n);
    if (!taken.has(name)) {
      return joinPath(dir, name);
    }
  }
  throw new Error(`No free output name for ${inputPath}`);
}

/** Strip a JupyterLab drive prefix (`Drive:path`) to get the path relative to the server root. */
export function serverPath(path: string): string {
  const i = path.indexOf(':');
  const slash = path.indexOf('/');
  if (i > 0 && (slash < 0 || i < slash)) {
    return path.slice(i + 1).replace(/^\/+/, '');
  }
  return path.replace(/^\/+/, '');
}

/**
 * The title of a result opened from the panel: the job's output file name (in the format opened), else the name
 * "Run inference..." would give its input (`<stem>.<model>.<format>`), else `<model>-result.<format>`.
 */
export function resultTitle(
  job: { outputPath: string | null; inputFilename: string | null; modelName: string | null },
  format: string
): string {
  if (job.outputPath) {
    return `${stemOf(splitPath(job.outputPath)[1])}.${format}`;
  }
  const model = job.modelName ?? 'result';
  if (job.inputFilename) {
    return outputFileName(splitPath(job.inputFilename)[1], model, format);
  }
  return `${safeNamePart(model)}-result.${format}`;
}
