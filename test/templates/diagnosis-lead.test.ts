import { describe, expect, it } from 'vitest';
import { diagnosisLead } from '../../functions/core/notify/view.js';

describe('diagnosis in the email', () => {
  it('shows the first clause of the diagnosis; the other clauses have their own lines', () => {
    expect(
      diagnosisLead(
        'output tokens rose 18× while input rose 1.2×: a generation loop; compute spend stayed flat ($70.93/day vs $71.36/day); most of it carries agent-run-id=run-5a22.',
      ),
    ).toBe('Output tokens rose 18× while input rose 1.2×: a generation loop.');
    expect(diagnosisLead('Prompt-cache hit ratio fell from 90% to 20%.')).toBe(
      'Prompt-cache hit ratio fell from 90% to 20%.',
    );
  });
});
