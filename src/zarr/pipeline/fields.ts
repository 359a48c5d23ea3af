/**
 * Reading codec configuration fields that other writers may spell as bigints (our JSON parser
 * keeps integers past 2**53 exact) or leave out (numcodecs' defaults then apply).
 */
import type { Json } from "../json.js";

export function intField(v: Json | undefined, fallback: number): number {
  return typeof v === "number" ? v : typeof v === "bigint" ? Number(v) : fallback;
}
