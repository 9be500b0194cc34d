/**
 * Which files a local `--focus` names (docs/detection.md "Input" "Reading files"): AWS's export layout with its
 * manifests, its data/ folder, one Parquet or CSV file, or a glob. Manifests, when present, say
 * exactly which files are current; otherwise every *.parquet below the path is read, keeping only
 * the newest delivery of a billing period that holds several.
 */
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { basename, dirname, join, relative, resolve, sep } from 'node:path';
import { BadInputError } from '../../core/errors.js';

export interface ResolvedExport {
  format: 'parquet' | 'csv';
  files: string[];
  /** true when every file sits under a `BILLING_PERIOD=YYYY-MM` folder (the period comes from the path). */
  partitioned: boolean;
  /** Deliveries left out because a newer one exists in the same period. */
  ignoredDeliveries: { period: string; delivery: string; kept: string }[];
  /** Where the list came from, for messages. */
  source: 'manifest' | 'scan' | 'file' | 'glob';
}

const PERIOD_DIR = /^BILLING_PERIOD=(\d{4}-\d{2})$/i;
const GLOB_CHARS = /[*?[]/;

function periodOf(file: string): string | null {
  for (const part of file.split(sep)) {
    const m = PERIOD_DIR.exec(part);
    if (m) return m[1]!;
  }
  return null;
}

function walk(dir: string, keep: (name: string) => boolean, into: string[] = []): string[] {
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const full = join(dir, entry.name);
    if (entry.isDirectory()) walk(full, keep, into);
    else if (keep(entry.name)) into.push(full);
  }
  return into;
}

const isParquet = (name: string) => name.toLowerCase().endsWith('.parquet');
const isCsv = (name: string) => /\.csv(\.gz)?$/i.test(name);

function asFile(path: string): ResolvedExport {
  if (isParquet(path))
    return { format: 'parquet', files: [path], partitioned: false, ignoredDeliveries: [], source: 'file' };
  if (isCsv(path))
    return { format: 'csv', files: [path], partitioned: false, ignoredDeliveries: [], source: 'file' };
  throw new BadInputError(`--focus ${path}: not a Parquet or CSV file`, {
    hint: 'name an export folder, its data/ folder, a .parquet or .csv file, or a glob of them',
  });
}

/** Manifest folder of an export root or of its data/ folder. */
function manifestRoot(dir: string): { exportRoot: string; metadata: string } | null {
  for (const root of [dir, dirname(dir)]) {
    const metadata = join(root, 'metadata');
    if (existsSync(join(root, 'data')) && existsSync(metadata) && statSync(metadata).isDirectory()) {
      if (root === dir || basename(dir) === 'data') return { exportRoot: root, metadata };
    }
  }
  return null;
}

function fromManifests(dir: string): ResolvedExport | null {
  const roots = manifestRoot(dir);
  if (!roots) return null;
  const manifests = walk(roots.metadata, (n) => n.toLowerCase().endsWith('manifest.json'));
  if (manifests.length === 0) return null;
  const files: string[] = [];
  for (const manifest of manifests.sort()) {
    let listed: unknown;
    try {
      listed = (JSON.parse(readFileSync(manifest, 'utf8')) as { dataFiles?: unknown }).dataFiles;
    } catch (error) {
      throw new BadInputError(`--focus: manifest ${manifest} is not valid JSON`, { cause: error });
    }
    if (!Array.isArray(listed)) {
      throw new BadInputError(`--focus: manifest ${manifest} has no dataFiles list`);
    }
    for (const uri of listed) {
      // Manifests list s3:// URIs; locally the same files sit below the export root's data/ folder.
      const at = String(uri).search(/\/data\/BILLING_PERIOD=/i);
      if (at < 0)
        throw new BadInputError(`--focus: manifest ${manifest} lists '${String(uri)}', not a data file`);
      const local = join(
        roots.exportRoot,
        ...String(uri)
          .slice(at + 1)
          .split('/'),
      );
      if (!existsSync(local)) {
        throw new BadInputError(`--focus: manifest ${manifest} lists ${local}, which does not exist`, {
          hint: 'copy the export with its data files, or remove the stale manifest',
        });
      }
      files.push(local);
    }
  }
  // Periods with data but no manifest are still read (a partial copy); periods listed are exact.
  const listedPeriods = new Set(files.map(periodOf));
  const dataDir = join(roots.exportRoot, 'data');
  const unlisted = walk(dataDir, isParquet).filter((f) => !listedPeriods.has(periodOf(f)));
  const scanned = newestDeliveries(unlisted);
  return {
    format: 'parquet',
    files: [...files, ...scanned.files].sort(),
    partitioned: true,
    ignoredDeliveries: scanned.ignored,
    source: 'manifest',
  };
}

/** Keeps, per billing period, only the newest delivery folder (names sort by time). */
function newestDeliveries(files: string[]): {
  files: string[];
  ignored: ResolvedExport['ignoredDeliveries'];
} {
  const byPeriod = new Map<string, Map<string, string[]>>();
  const loose: string[] = [];
  for (const file of files) {
    const parts = file.split(sep);
    const at = parts.findIndex((p) => PERIOD_DIR.test(p));
    if (at < 0) {
      loose.push(file);
      continue;
    }
    const period = PERIOD_DIR.exec(parts[at]!)![1]!;
    const delivery = parts.length - at > 2 ? parts[at + 1]! : '';
    const deliveries = byPeriod.get(period) ?? new Map<string, string[]>();
    deliveries.set(delivery, [...(deliveries.get(delivery) ?? []), file]);
    byPeriod.set(period, deliveries);
  }
  const kept = [...loose];
  const ignored: ResolvedExport['ignoredDeliveries'] = [];
  for (const [period, deliveries] of byPeriod) {
    const names = [...deliveries.keys()].sort();
    const newest = names[names.length - 1]!;
    kept.push(...deliveries.get(newest)!);
    for (const name of names.slice(0, -1)) {
      ignored.push({ period, delivery: name || '(files directly in the period folder)', kept: newest });
    }
  }
  return { files: kept.sort(), ignored };
}

export async function resolveExport(
  focus: string,
  globFiles: (pattern: string) => Promise<string[]>,
): Promise<ResolvedExport> {
  if (GLOB_CHARS.test(focus)) {
    const files = (await globFiles(resolve(focus))).filter((f) => isParquet(f) || isCsv(f));
    if (files.length === 0) {
      throw new BadInputError(`--focus ${focus}: the pattern matches no Parquet or CSV file`);
    }
    const csv = files.filter(isCsv);
    if (csv.length > 0 && csv.length < files.length) {
      throw new BadInputError(
        `--focus ${focus}: the pattern matches both Parquet and CSV files; name one kind`,
      );
    }
    const format = csv.length > 0 ? 'csv' : 'parquet';
    const picked = format === 'parquet' ? newestDeliveries(files) : { files, ignored: [] };
    return {
      format,
      files: picked.files,
      partitioned: picked.files.every((f) => periodOf(f) !== null),
      ignoredDeliveries: picked.ignored,
      source: 'glob',
    };
  }
  const path = resolve(focus);
  if (!existsSync(path)) {
    throw new BadInputError(`--focus ${focus}: nothing at that path`, {
      hint: 'pass the export folder (with data/ and metadata/), its data/ folder, a .parquet/.csv file or a glob',
    });
  }
  if (statSync(path).isFile()) return asFile(path);
  const manifested = fromManifests(path);
  if (manifested) return manifested;
  const parquet = walk(path, isParquet);
  if (parquet.length > 0) {
    const picked = newestDeliveries(parquet);
    return {
      format: 'parquet',
      files: picked.files,
      partitioned: picked.files.every((f) => periodOf(f) !== null),
      ignoredDeliveries: picked.ignored,
      source: 'scan',
    };
  }
  const csv = walk(path, isCsv);
  if (csv.length > 0)
    return { format: 'csv', files: csv.sort(), partitioned: false, ignoredDeliveries: [], source: 'scan' };
  throw new BadInputError(
    `--focus ${focus}: no Parquet or CSV files below ${relative(process.cwd(), path) || '.'}`,
    {
      hint: 'point --focus at a FOCUS export (generate one with `sentinel generate --out DIR`)',
    },
  );
}
