/**
 * The Athena tables over what the service writes (SPEC §7): `sql/ddl/<table>.sql`, rendered with
 * the database and the S3 location. The deployment creates them; `test/sql/ddl.test.ts` checks each
 * against the records the code writes.
 */
import { renderSql } from './render.js';

export const ATHENA_TABLES = ['findings', 'case_events', 'runs'] as const;
export type AthenaTable = (typeof ATHENA_TABLES)[number];

const NAME = /^[A-Za-z0-9_]+$/;

export function tableDdl(table: AthenaTable, input: { database: string; location: string }): string {
  if (!NAME.test(input.database)) throw new Error(`not a database name: ${input.database}`);
  if (!/^s3:\/\/[a-z0-9.-]+(\/[A-Za-z0-9._=/-]*)?$/.test(input.location) || input.location.endsWith('/')) {
    throw new Error(`not an s3:// location without a trailing slash: ${input.location}`);
  }
  return renderSql(`ddl/${table}`, 'athena', input);
}
