/** The budget section says which rule fired, with its figures, in HTML and text alike (docs/emails.md). */
import { describe, expect, it } from 'vitest';
import { extraExamples } from '../../functions/cli/render-examples.js';
import { renderMessage } from '../../functions/core/notify/render.js';
import type { BudgetFinding } from '../../functions/core/types.js';

const example = () => extraExamples()['owner-alert-budget']!;

describe('the budget section', () => {
  it('daily cap: the day, its charges and the cap, which charges count, the month-end forecast', () => {
    const { subject, html, text } = renderMessage(example());
    expect(subject).toBe(
      '[High] Bedrock $212.00 on 28 Feb, over a $100.00/day cap on Agents Sandbox (555555555555) - please answer within 48 h',
    );
    for (const part of [html.replace(/<[^>]+>/g, ''), text]) {
      expect(part).toContain('Bedrock spend over its daily cap');
      expect(part).toMatch(/came to \$212\.00 on 28 Feb, above this account's \$100\.00\/day cap/);
      expect(part).toContain('$112.00/day over the cap');
      expect(part).toContain('$3,360.00 over 30 days');
      expect(part).toContain(
        'every Bedrock charge of the account: model tokens, Provisioned Throughput, AgentCore',
      );
      expect(part).toMatch(
        /Month-end forecast for the account, every Bedrock charge counted: \$1,393\.30, 1\.3× last month's \$1,104\.20/,
      );
    }
    // The chart splits its bars at the cap and calls it so.
    expect(html).toContain('spend up to the cap of $100.00/day');
  });

  it('month over month: the forecast, last month, the budget in dollars and the excess', () => {
    const data = example();
    const section = data.sections[0]!;
    const f: BudgetFinding = {
      ...(section.finding as BudgetFinding),
      kind: 'month-over-month',
      cap_usd: null,
      cap_day: null,
      cap_day_value: null,
      last_month_usd: 3000,
      mtd_usd: 3000,
      forecast_month_usd: 6257.142857,
      projected_30d_excess_usd: 257.142857,
      recent_avg_daily_usd: 271.428571,
      baseline_avg_daily_usd: 193.548387,
      other_charges_usd: 420,
    };
    const { subject, html, text } = renderMessage({
      ...data,
      sections: [{ ...section, kind: 'month-over-month', finding: f, peak: f }],
    });
    expect(subject).toContain('Bedrock on course for $6,257.14 this month (2.1× last month)');
    for (const part of [html.replace(/<[^>]+>/g, ''), text]) {
      expect(part).toContain('on course for $6,257.14 this month, 2.1× last month');
      expect(part).toContain('$257.14 above a budget of 2.0× last month ($6,000.00)');
      expect(part).toContain('($420.00 of them outside token inference in the window)');
    }
  });
});
