/**
 * The parameter counts a model name states: "Qwen3-30B-A3B" (30B total, 3B active), "A22B" (active), "gpt-oss-120b"
 * and "671B" (total), "Llama-4-Scout-17B-16E" (17B active, Meta's naming), "OLMoE-1B-7B" (1B active, 7B total).
 * Mixtral's "8x7B" names expert width, not a count, and states nothing here.
 */
export interface StatedSize {
  readonly total?: number;
  readonly active?: number;
  /** The part of the name that states it, as written ("30B-A3B"). */
  readonly text: string;
  /** Half a unit of the last digit written: "3B" may be 2.5B to 3.5B, "116.8B" 116.75B to 116.85B. */
  readonly roundingTotal?: number;
  readonly roundingActive?: number;
}

const NUMBER = String.raw`(\d+(?:\.\d+)?)`;
const EDGE = String.raw`(?<![a-z0-9.])`;
const END = String.raw`(?![a-z0-9])`;

const billions = (text: string): number => Number(text) * 1e9;
const halfUnit = (text: string): number => 0.5 * 10 ** -(text.split('.')[1]?.length ?? 0) * 1e9;

export function statedSize(name: string): StatedSize | undefined {
  const lower = name.toLowerCase();
  // "8x7b", "8x22b": experts × width, not a parameter count.
  if (new RegExp(`${EDGE}\\d+x${NUMBER}b${END}`).test(lower)) return undefined;
  let m = new RegExp(`${EDGE}${NUMBER}b[-_]?a${NUMBER}b${END}`).exec(lower);
  if (m) return { total: billions(m[1]!), active: billions(m[2]!), text: name.substr(m.index, m[0].length), roundingTotal: halfUnit(m[1]!), roundingActive: halfUnit(m[2]!) };
  m = new RegExp(`${EDGE}${NUMBER}b[-_x]\\d+e${END}`).exec(lower);
  if (m) return { active: billions(m[1]!), text: name.substr(m.index, m[0].length), roundingActive: halfUnit(m[1]!) };
  m = new RegExp(`${EDGE}${NUMBER}b[-_]${NUMBER}b${END}`).exec(lower);
  if (m && Number(m[1]) < Number(m[2])) return { active: billions(m[1]!), total: billions(m[2]!), text: name.substr(m.index, m[0].length), roundingActive: halfUnit(m[1]!), roundingTotal: halfUnit(m[2]!) };
  m = new RegExp(`${EDGE}a${NUMBER}b${END}`).exec(lower);
  if (m) return { active: billions(m[1]!), text: name.substr(m.index, m[0].length), roundingActive: halfUnit(m[1]!) };
  m = new RegExp(`${EDGE}${NUMBER}b${END}`).exec(lower);
  if (m) return { total: billions(m[1]!), text: name.substr(m.index, m[0].length), roundingTotal: halfUnit(m[1]!) };
  return undefined;
}
