/**
 * A small RFC 4180 CSV reader for previewing results in the browser (quoted fields, doubled quotes,
 * CRLF). Stops after `maxRows` data rows. Unit-tested in __tests__/csv.spec.ts.
 */
export interface ICsvTable {
  header: string[];
  rows: string[][];
  truncated: boolean;
}

export function parseCsv(text: string, maxRows = 500): ICsvTable {
  const records: string[][] = [];
  let field = '';
  let record: string[] = [];
  let inQuotes = false;
  let truncated = false;
  let i = 0;
  const n = text.length;
  const endRecord = (): boolean => {
    record.push(field);
    field = '';
    records.push(record);
    record = [];
    return records.length > maxRows; // header + maxRows rows
  };
  while (i < n) {
    const c = text[i];
    if (inQuotes) {
      if (c === '"') {
        if (text[i + 1] === '"') {
          field += '"';
          i += 2;
          continue;
        }
        inQuotes = false;
      } else {
        field += c;
      }
      i++;
      continue;
    }
    if (c === '"') {
      inQuotes = true;
    } else if (c === ',') {
      record.push(field);
      field = '';
    } else if (c === '\n' || c === '\r') {
      if (c === '\r' && text[i + 1] === '\n') {
        i++;
      }
      if (endRecord()) {
        truncated = i + 1 < n;
        break;
      }
    } else {
      field += c;
    }
    i++;
  }
  if (i >= n && (field !== '' || record.length > 0)) {
    endRecord();
  }
  const [header = [], ...rows] = records;
  if (rows.length > maxRows) {
    rows.length = maxRows;
    truncated = true;
  }
  return { header, rows, truncated };
}
