/**
 * How well a model fits a data file: which of the model's input columns the file has (by exact name, as the
 * engine's schema reconciliation matches them), the ranking of the "Run inference" dialog, and when to warn.
 * Pure functions, unit-tested in __tests__/match.spec.ts.
 */
import { IModel } from './api';

/** Below this share of a model's columns present, running it asks for confirmation first. */
export const POOR_MATCH_SHARE = 0.75;

export interface IModelMatch {
  model: IModel;
  /** The model's input columns the file has, in the model's order. */
  present: string[];
  /** The model's input columns the file lacks (they would be empty values). */
  missing: string[];
  /** present / total; null when the file's or the model's columns are unknown. */
  share: number | null;
}

export function matchModel(model: IModel, fileColumns: readonly string[] | null): IModelMatch {
  const wanted = model.inputColumns;
  if (fileColumns === null || wanted.length === 0) {
    return { model, present: [], missing: [], share: null };
  }
  const have = new Set(fileColumns);
  const present = wanted.filter(c => have.has(c));
  const missing = wanted.filter(c => !have.has(c));
  return { model, present, missing, share: present.length / wanted.length };
}

/**
 * The models, best match first: the larger share of their columns present, then more columns present (7 of 7
 * before 2 of 2: the more specific model), then the order given (the API's). Unknown matches go last.
 */
export function rankModels(models: readonly IModel[], fileColumns: readonly string[] | null): IModelMatch[] {
  return models
    .map((m, i) => ({ match: matchModel(m, fileColumns), i }))
    .sort((a, b) => {
      const sa = a.match.share ?? -1;
      const sb = b.match.share ?? -1;
      return sb - sa || b.match.present.length - a.match.present.length || a.i - b.i;
    })
    .map(x => x.match);
}

/** `7 of 7 columns`, `5 of 7 columns`; '' when unknown. */
export function matchLabel(m: IModelMatch): string {
  if (m.share === null) {
    return '';
  }
  const total = m.present.length + m.missing.length;
  return `${m.present.length} of ${total} column${total === 1 ? '' : 's'}`;
}

/** `missing: income, age, +3 more`; '' when nothing is missing. */
export function missingLabel(m: IModelMatch, max = 3): string {
  if (!m.missing.length) {
    return '';
  }
  const shown = m.missing.slice(0, max);
  const more = m.missing.length - shown.length;
  return `missing: ${shown.join(', ')}${more > 0 ? `, +${more} more` : ''}`;
}

/** Whether running this model on the file should be confirmed first. */
export function isPoorMatch(m: IModelMatch): boolean {
  return m.share !== null && m.share < POOR_MATCH_SHARE;
}
