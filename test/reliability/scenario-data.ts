/** The findings and owners most reliability scenarios run on. */
import { makeFinding } from '../fixtures/findings.js';

export const DAYS = ['2026-02-28', '2026-03-01'];

// ana owns two accounts with one cc (one message, two sections); bo owns one; 444… is unmapped (FinOps).
export const FINDINGS = [
  ...DAYS.map((d) => makeFinding({ account: '111111111111', asOf: d, recent: 120, baseline: 7 })),
  makeFinding({ account: '222222222222', asOf: '2026-03-01', recent: 60, baseline: 5 }),
  makeFinding({ account: '333333333333', asOf: '2026-03-01', recent: 300, baseline: 20 }),
  makeFinding({ account: '444444444444', asOf: '2026-03-01', recent: 80, baseline: 3 }),
];
export const OWNERS_CSV = `account_id,owner_email,account_name,team,cc
111111111111,ana@example.com,Payments,pay,pay-leads@example.com
222222222222,ana@example.com,Payments staging,pay,pay-leads@example.com
333333333333,bo@example.com,Search,search,
`;
