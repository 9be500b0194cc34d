/** Reading values out of engine rows (already typed by the QueryEngine contract; NULL → 0 or null). */
export const num = (v: unknown): number =>
  typeof v === 'number' ? v : v === null || v === undefined ? 0 : Number(v);
export const str = (v: unknown): string | null => (v === null || v === undefined ? null : String(v));
