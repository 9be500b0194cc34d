/** The grouped numbers of every message (functions/core/format.ts) read as en-US's own formatter writes them. */
import { describe, expect, it } from 'vitest';
import { count, money, percent, ratio, roundHalfUp } from '../../functions/core/format.js';

/** What Intl writes for the value after the half-up rounding the messages use. */
const intl = (value: number, digits: number) =>
  new Intl.NumberFormat('en-US', { minimumFractionDigits: digits, maximumFractionDigits: digits }).format(
    Math.abs(roundHalfUp(value, digits)),
  );

describe('grouped numbers', () => {
  it('match en-US grouping and decimals on values from cents to billions', () => {
    let seed = 7;
    const next = () => {
      seed = (seed * 48271) % 2147483647;
      return seed / 2147483647;
    };
    for (let i = 0; i < 5000; i++) {
      const value = (next() - 0.3) * 10 ** Math.floor(next() * 11);
      expect(money(value)).toBe(`${roundHalfUp(value, 2) < 0 ? '-' : ''}$${intl(value, 2)}`);
      expect(money(value, 0)).toBe(`${roundHalfUp(value, 0) < 0 ? '-' : ''}$${intl(value, 0)}`);
      expect(ratio(value)).toBe(`${intl(value, 1)}×`);
    }
  });

  it('round half up on the decimal value meant, and group every three digits', () => {
    expect(money(28447.155)).toBe('$28,447.16');
    expect(money(1234567.5, 0)).toBe('$1,234,568');
    expect(money(999.995)).toBe('$1,000.00');
    expect(money(-0.004)).toBe('$0.00');
    expect(money(-12.5)).toBe('-$12.50');
    expect(count(1000)).toBe('1,000');
    expect(count(999)).toBe('999');
    expect(percent(0.20265)).toBe('20.3%');
  });
});
