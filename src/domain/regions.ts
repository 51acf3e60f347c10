/**
 * Regions where HBR has an OpenAPI endpoint (hbr.<regionId>.aliyuncs.com), as listed in the
 * generated SDK's endpoint map. Pure data plus a few lookups used to explain a mistyped region.
 */

export const HBR_REGIONS = [
  'cn-qingdao',
  'cn-beijing',
  'cn-zhangjiakou',
  'cn-huhehaote',
  'cn-wulanchabu',
  'cn-hangzhou',
  'cn-shanghai',
  'cn-shenzhen',
  'cn-heyuan',
  'cn-guangzhou',
  'cn-chengdu',
  'cn-hongkong',
  'cn-zhongwei',
  'ap-northeast-1',
  'ap-northeast-2',
  'ap-southeast-1',
  'ap-southeast-3',
  'ap-southeast-5',
  'ap-southeast-6',
  'ap-southeast-7',
  'ap-southeast-8',
  'us-east-1',
  'us-west-1',
  'us-southeast-1',
  'na-south-1',
  'eu-central-1',
  'eu-west-1',
  'me-east-1',
  'me-central-1',
  'cn-shanghai-finance-1',
  'cn-beijing-finance-1',
  'cn-shenzhen-finance-1',
  'cn-hangzhou-finance',
] as const;

export type HbrRegion = (typeof HBR_REGIONS)[number];

const REGION_SET: ReadonlySet<string> = new Set<string>(HBR_REGIONS);

export function isHbrRegion(s: string): s is HbrRegion {
  return REGION_SET.has(s);
}

/** A few well-known regions, named when a typo is too far from any region to guess. */
export const COMMON_HBR_REGIONS: readonly HbrRegion[] = [
  'cn-hangzhou',
  'cn-shanghai',
  'cn-beijing',
  'cn-shenzhen',
  'cn-hongkong',
  'ap-southeast-1',
];

/** Longest input worth comparing against region names; anything longer is not a typo. */
const MAX_COMPARABLE_LENGTH = 40;

function editDistance(a: string, b: string): number {
  let previous = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const current = [i];
    for (let j = 1; j <= b.length; j++) {
      const substitution = (previous[j - 1] ?? 0) + (a[i - 1] === b[j - 1] ? 0 : 1);
      const deletion = (previous[j] ?? 0) + 1;
      const insertion = (current[j - 1] ?? 0) + 1;
      current.push(Math.min(substitution, deletion, insertion));
    }
    previous = current;
  }
  return previous[b.length] ?? 0;
}

/**
 * If `value` names an availability zone of an HBR region (cn-hangzhou-h, ap-southeast-1a), that
 * region; zones are a common mix-up with regions.
 */
export function regionOfZone(value: string): HbrRegion | null {
  const match = /^(.+?)-?[a-z]$/.exec(value);
  if (!match?.[1]) return null;
  const candidate = match[1];
  return isHbrRegion(candidate) && candidate !== value ? candidate : null;
}

/**
 * The HBR regions closest to `value` (a likely typo, a bare city name, a zone), best first, at most
 * `limit`. Empty when nothing is plausibly meant.
 */
export function nearestHbrRegions(value: string, limit = 2): HbrRegion[] {
  const v = value.trim().toLowerCase();
  // Stryker disable next-line ConditionalExpression,EqualityOperator: a shortcut; empty or over-long input is farther than any cap from every region anyway
  if (v.length === 0 || v.length > MAX_COMPARABLE_LENGTH) return [];
  const zoneRegion = regionOfZone(v);
  if (zoneRegion) return [zoneRegion];
  const scored = HBR_REGIONS.map((region, order) => {
    // A bare city ("shanghai") or a prefix ("ap-southeast") is a strong hint.
    const contains = region.includes(v) && v.length >= 4;
    const distance = contains ? 0 : editDistance(v, region);
    return { region, distance, order };
  })
    .filter(({ region, distance }) => distance <= Math.max(2, Math.floor(region.length / 4)))
    .sort((x, y) => x.distance - y.distance || x.order - y.order);
  return scored.slice(0, Math.max(0, limit)).map((s) => s.region);
}
