import { suppressionMask } from '../../../src/disclosure/suppression';

describe('small-cell suppression', () => {
  it('suppresses cells of 1 to k-1 patients, keeps 0 and k', () => {
    expect(suppressionMask([0, 1, 4, 5, 120], { k: 5, totalPublished: false })).toEqual([false, true, true, false, false]);
  });

  it('is configurable', () => {
    expect(suppressionMask([9, 10, 11], { k: 10, totalPublished: false })).toEqual([true, false, false]);
    expect(suppressionMask([1, 2], { k: 1, totalPublished: false })).toEqual([false, false]);
  });

  it('adds the smallest other non-empty cell when one cell alone is suppressed under a published total', () => {
    // total 3 + 40 + 7 + 0 = 50 is published: 3 alone could be recovered as 50 − 40 − 7.
    expect(suppressionMask([3, 40, 7, 0], { k: 5, totalPublished: true })).toEqual([true, false, true, false]);
    // two suppressed already: no companion needed
    expect(suppressionMask([3, 40, 2], { k: 5, totalPublished: true })).toEqual([true, false, true]);
    // nothing to pair with: the lone cell stays suppressed
    expect(suppressionMask([3, 0], { k: 5, totalPublished: true })).toEqual([true, false]);
  });

  it('refuses a bad threshold or count', () => {
    expect(() => suppressionMask([1], { k: 0, totalPublished: false })).toThrow('threshold');
    expect(() => suppressionMask([1.5], { k: 5, totalPublished: false })).toThrow('patient count');
  });
});
