import { CladeError } from '../../util/errors.ts';
import { readBytes } from './files.ts';

export interface CsvTable {
  readonly header: readonly string[];
  /** Data rows (the header excluded), each with as many fields as the file gives. */
  readonly rows: readonly string[][];
  /** 1-based line number where each data row starts (rows may span lines inside quotes). */
  readonly lines: readonly number[];
}

/**
 * RFC 4180 CSV: fields separated by `delimiter`, optionally double-quoted, `""` an escaped quote, CR/LF or LF
 * line ends, newlines allowed inside quoted fields; a UTF-8 BOM is dropped; blank lines are skipped.
 * An unterminated quote throws naming the file and the line where the field started.
 *
 * @example
 * parseCsv('id,text\n1,"a ""b""\nc"\n').rows; // [['1', 'a "b"\nc']]
 */
export function parseCsv(text: string, opts: { file?: string; delimiter?: string } = {}): CsvTable {
  const d = opts.delimiter ?? ',';
  const all: string[][] = [];
  const lines: number[] = [];
  let row: string[] = [];
  let field = '';
  let line = 1;
  let rowLine = 1;
  let i = text.charCodeAt(0) === 0xfeff ? 1 : 0;
  let atFieldStart = true; // a quote only opens a quoted field here
  let quoted = false; // the current field was quoted (so an empty "" row is still a row)
  const n = text.length;
  const endRow = () => {
    if (quoted || row.length > 0 || field.length > 0) {
      row.push(field);
      all.push(row);
      lines.push(rowLine);
    }
    row = [];
    field = '';
    atFieldStart = true;
    quoted = false;
  };
  while (i < n) {
    const c = text[i];
    if (c === '"' && atFieldStart) {
      const startLine = line;
      i++;
      for (;;) {
        const q = text.indexOf('"', i);
        if (q < 0) throw new CladeError('unterminated quoted field', { file: opts.file, line: startLine });
        const chunk = text.slice(i, q);
        for (let k = chunk.indexOf('\n'); k >= 0; k = chunk.indexOf('\n', k + 1)) line++;
        field += chunk;
        if (text[q + 1] === '"') {
          field += '"';
          i = q + 2;
          continue;
        }
        i = q + 1;
        break;
      }
      atFieldStart = false;
      quoted = true;
      continue;
    }
    if (c === d) {
      row.push(field);
      field = '';
      atFieldStart = true;
      i++;
    } else if (c === '\n' || c === '\r') {
      endRow();
      if (c === '\r' && text[i + 1] === '\n') i++;
      i++;
      line++;
      rowLine = line;
    } else {
      let j = i + 1;
      while (j < n) {
        const cj = text[j];
        if (cj === d || cj === '\n' || cj === '\r') break;
        j++;
      }
      field += text.slice(i, j);
      atFieldStart = false;
      i = j;
    }
  }
  endRow();
  if (all.length === 0) throw new CladeError('empty CSV: no header row', { file: opts.file });
  const [header, ...rows] = all;
  lines.shift();
  return { header: header.map((h) => h.trim()), rows, lines };
}

/** Reads a CSV file (raw or gzip) with `parseCsv`. */
export function readCsv(file: string, opts: { delimiter?: string } = {}): CsvTable {
  return parseCsv(new TextDecoder().decode(readBytes(file)), { file, ...opts });
}

/** Index of each required column in the header; throws naming the file and the missing column. */
export function columnIndex(table: CsvTable, names: readonly string[], file?: string): number[] {
  return names.map((name) => {
    const k = table.header.indexOf(name);
    if (k < 0)
      throw new CladeError(`missing column '${name}' (header: ${table.header.join(', ')})`, {
        file,
        row: 0,
        column: name,
      });
    return k;
  });
}
