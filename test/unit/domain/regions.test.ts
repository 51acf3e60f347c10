import { describe, expect, it } from 'vitest';
import { nearestHbrRegions, regionOfZone } from '../../../src/domain/regions.js';

describe('nearestHbrRegions', () => {
  it('ignores case and surrounding blanks', () => {
    expect(nearestHbrRegions('  CN-Shangai ')).toEqual(['cn-shanghai']);
  });

  it('names the region of a zone and nothing else', () => {
    expect(nearestHbrRegions('cn-hangzhou-h', 5)).toEqual(['cn-hangzhou']);
  });

  it('ranks by edit distance, then by list order, and keeps names within a quarter of their length', () => {
    // ap-southeast-1 and -5 are three edits away: within reach of a 14-character name, not of a 2-edit cap.
    expect(nearestHbrRegions('ap-northeast-3', 5)).toEqual([
      'ap-northeast-1',
      'ap-northeast-2',
      'ap-southeast-3',
      'ap-southeast-1',
      'ap-southeast-5',
    ]);
    expect(nearestHbrRegions('cn-hangzhou', 5)).toEqual(['cn-hangzhou', 'cn-hangzhou-finance', 'cn-guangzhou']);
  });

  it('treats a part of four letters or more as a strong hint, fewer as a typo', () => {
    expect(nearestHbrRegions('hang', 5)).toEqual([
      'cn-zhangjiakou',
      'cn-hangzhou',
      'cn-shanghai',
      'cn-shanghai-finance-1',
      'cn-hangzhou-finance',
    ]);
    expect(nearestHbrRegions('usa', 5)).toEqual([]);
  });

  it('returns at most `limit` names, none for a limit below one', () => {
    expect(nearestHbrRegions('ap-southeast')).toEqual(['ap-southeast-1', 'ap-southeast-3']);
    expect(nearestHbrRegions('ap-southeast', 0)).toEqual([]);
    expect(nearestHbrRegions('ap-southeast', -1)).toEqual([]);
  });
});

describe('regionOfZone', () => {
  it('is null when what precedes the zone letter is not an HBR region', () => {
    expect(regionOfZone('cn-nowhere-a')).toBeNull();
    expect(regionOfZone('cn-hangzhoux')).toBe('cn-hangzhou');
  });
});
