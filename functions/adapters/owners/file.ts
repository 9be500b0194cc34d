/**
 * OwnerDirectory from a CSV or YAML mapping file (docs/emails.md): columns `account_id, owner_email,
 * account_name, team, cc` (`cc`: several addresses separated by `;`), and optionally `environment`
 * and `daily_cap_usd` for the budget's daily cap (docs/detection.md "Budget"). Accounts not in the mapping
 * are owned by FinOps (`routed: false`); with no file configured, FinOps owns every case.
 */
import { readFile } from 'node:fs/promises';
import { parse as parseCsvText } from 'csv-parse/sync';
import { parse as parseYaml } from 'yaml';
import { BadInputError } from '../../core/errors.js';
import { MappedOwnerDirectory, type OwnerEntry } from './directory.js';

export { MappedOwnerDirectory, type OwnerEntry };

const ACCOUNT_ID_RE = /^\d{12}$/;
const EMAIL_RE = /^[^\s@<>,;"]+@[^\s@<>,;"]+\.[^\s@<>,;"]+$/;
const COLUMNS = [
  'account_id',
  'owner_email',
  'account_name',
  'team',
  'cc',
  'environment',
  'daily_cap_usd',
] as const;

/**
 * Loads the configured mapping from a local file. A configured path that does not exist is bad
 * input (exit 2); the message names the file and, for a bad row, its line in the file. An `s3://`
 * mapping is read by `loadS3OwnerDirectory` (owners/s3.ts), which the AWS wiring uses.
 */
export async function loadOwnerDirectory(path: string | null, finops: string): Promise<MappedOwnerDirectory> {
  if (path === null) return new MappedOwnerDirectory([], finops, false);
  if (/^s3:\/\//i.test(path)) {
    throw new BadInputError(`owners ${path}: reading the mapping from S3 needs the S3 store adapter`, {
      hint: 'pass a local CSV or YAML file with --owners',
    });
  }
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (error) {
    throw new BadInputError(
      `owners file ${path} cannot be read (${(error as NodeJS.ErrnoException).code ?? error})`,
      {
        cause: error,
        hint: 'pass an existing CSV or YAML file with --owners (or set owners: null to send every case to FinOps)',
      },
    );
  }
  return parseOwnerMapping(text, path, finops);
}

/**
 * Parses a mapping's text: YAML when `sourceName` ends in `.yaml`/`.yml`, else CSV. `sourceName`
 * (a path or s3:// URI) is what messages name.
 */
export function parseOwnerMapping(text: string, sourceName: string, finops: string): MappedOwnerDirectory {
  const entries = /\.ya?ml$/i.test(sourceName)
    ? parseOwnersYaml(text, sourceName)
    : parseOwnersCsv(text, sourceName);
  return new MappedOwnerDirectory(entries, finops, true);
}

function entryFrom(raw: Record<string, unknown>, where: string): OwnerEntry {
  const str = (key: string): string | null => {
    const v = raw[key];
    if (v === undefined || v === null) return null;
    const s = String(v).trim();
    return s === '' ? null : s;
  };
  // YAML reads an unquoted id as a number: its digits must still be the 12 of the id.
  const accountId = typeof raw.account_id === 'number' ? String(raw.account_id) : str('account_id');
  if (!accountId)
    throw new BadInputError(`${where}: account_id is empty`, { hint: 'every row needs an account_id' });
  if (!ACCOUNT_ID_RE.test(accountId)) {
    throw new BadInputError(`${where}: account_id '${accountId}' is not a 12-digit AWS account id`, {
      hint:
        'write the id as 12 digits, leading zeros included (a spreadsheet turns 012345678901 into ' +
        '12345678901 or 1.23456789E+11: format the column as text, or quote it in YAML)',
    });
  }
  const ownerEmail = str('owner_email');
  if (!ownerEmail || !EMAIL_RE.test(ownerEmail)) {
    throw new BadInputError(`${where}: owner_email '${ownerEmail ?? ''}' is not an email address`, {
      hint: 'write one address, e.g. team-lead@example.com',
    });
  }
  const ccRaw = raw.cc;
  const ccList = Array.isArray(ccRaw) ? ccRaw.map(String) : (str('cc') ?? '').split(';');
  const cc = ccList.map((a) => a.trim()).filter((a) => a !== '');
  for (const address of cc) {
    if (!EMAIL_RE.test(address)) {
      throw new BadInputError(`${where}: cc '${address}' is not an email address`, {
        hint: "separate several addresses with ';'",
      });
    }
  }
  const capText = typeof raw.daily_cap_usd === 'number' ? String(raw.daily_cap_usd) : str('daily_cap_usd');
  let dailyCapUsd: number | null = null;
  if (capText !== null) {
    dailyCapUsd = Number(capText.replace(/^\$/, ''));
    if (!/^\$?\d+(\.\d+)?$/.test(capText) || !Number.isFinite(dailyCapUsd)) {
      throw new BadInputError(`${where}: daily_cap_usd '${capText}' is not an amount in USD`, {
        hint: 'write the cap as a number of dollars per day, e.g. 100 or 250.50; leave it empty for none',
      });
    }
  }
  const environment = str('environment')?.toLowerCase() ?? null;
  return {
    accountId,
    ownerEmail,
    accountName: str('account_name'),
    team: str('team'),
    cc,
    environment,
    dailyCapUsd,
  };
}

/** The CSV's records (csv-parse: RFC 4180, quoted fields may hold commas, quotes and newlines), each with its line. */
function csvRecords(text: string, source: string): { cells: string[]; line: number }[] {
  let parsed: { record: string[]; info: { lines: number } }[];
  try {
    // One line break (spreadsheets write CRLF, editors LF): csv-parse counts a CRLF inside quotes as two lines.
    parsed = parseCsvText(text.replace(/\r\n?/g, '\n'), {
      bom: true,
      info: true,
      relax_column_count: true,
      skip_empty_lines: true,
      skip_records_with_empty_values: true,
    }) as unknown as { record: string[]; info: { lines: number } }[];
  } catch (error) {
    throw new BadInputError(`owners file ${source} is not valid CSV (${(error as Error).message})`, {
      cause: error,
      hint: 'close every quoted field; a field holding a comma or a line break is written in double quotes',
    });
  }
  // `info.lines` is the line a record ends on; a record with line breaks inside quotes starts earlier.
  return parsed.map(({ record, info }) => ({
    cells: record,
    line: info.lines - record.reduce((n, cell) => n + (cell.match(/\n/g)?.length ?? 0), 0),
  }));
}

export function parseOwnersCsv(text: string, source: string): OwnerEntry[] {
  const rows = csvRecords(text, source);
  const header = rows.shift()?.cells.map((h) => h.trim().toLowerCase());
  if (!header?.includes('account_id') || !header.includes('owner_email')) {
    throw new BadInputError(`owners file ${source}: the header must name account_id and owner_email`, {
      hint: `columns: ${COLUMNS.join(', ')}`,
    });
  }
  const unknown = header.filter((h) => !(COLUMNS as readonly string[]).includes(h));
  if (unknown.length > 0) {
    throw new BadInputError(`owners file ${source}: unknown column(s) ${unknown.join(', ')}`, {
      hint: `columns: ${COLUMNS.join(', ')}`,
    });
  }
  return dedupe(
    rows.map(({ cells, line }) => {
      const raw: Record<string, string> = {};
      header.forEach((h, j) => {
        raw[h] = cells[j] ?? '';
      });
      return entryFrom(raw, `owners file ${source} line ${line}`);
    }),
    source,
  );
}

/** YAML: a list of rows, `{owners: [...]}`, or a map from account id to its row. */
export function parseOwnersYaml(text: string, source: string): OwnerEntry[] {
  let doc: unknown;
  try {
    doc = parseYaml(text);
  } catch (error) {
    throw new BadInputError(`owners file ${source} is not valid YAML (${(error as Error).message})`, {
      cause: error,
    });
  }
  if (doc && typeof doc === 'object' && !Array.isArray(doc) && 'owners' in doc)
    doc = (doc as { owners: unknown }).owners;
  let rows: Record<string, unknown>[];
  if (Array.isArray(doc)) rows = doc as Record<string, unknown>[];
  else if (doc && typeof doc === 'object') {
    rows = Object.entries(doc as Record<string, unknown>).map(([id, v]) => ({
      ...(v as Record<string, unknown>),
      account_id: id,
    }));
  } else if (doc == null) rows = [];
  else
    throw new BadInputError(`owners file ${source}: expected a list of owners`, {
      hint: `keys: ${COLUMNS.join(', ')}`,
    });
  return dedupe(
    rows.map((r, i) => {
      if (!r || typeof r !== 'object')
        throw new BadInputError(`owners file ${source} entry ${i + 1} is not a mapping`);
      return entryFrom(r, `owners file ${source} entry ${i + 1}`);
    }),
    source,
  );
}

function dedupe(entries: OwnerEntry[], source: string): OwnerEntry[] {
  const seen = new Set<string>();
  for (const e of entries) {
    if (seen.has(e.accountId)) {
      throw new BadInputError(`owners file ${source}: account ${e.accountId} is listed twice`, {
        hint: 'keep one row per account',
      });
    }
    seen.add(e.accountId);
  }
  return entries;
}
