/**
 * The only importer of @faker-js/faker: builds the advertiser catalog once,
 * at start-up. The simulator's hot path uses its own PRNG (faker's draws
 * are far slower); faker supplies the names that need a locale.
 *
 * @module
 */
// The locale entry loads nl_BE, nl, en and base only; the main entry loads
// every locale, costing memory in every worker.
import { faker as fakerNL_BE } from "@faker-js/faker/locale/nl_BE";

/** Seed of the advertiser catalog: fixed, so that ads name the same brands in every run. */
const CATALOG_SEED = 20_261;

let cached: readonly string[] | undefined;

/** Returns the advertiser names (Belgian company names), the same in every run. */
export function advertiserNames(count = 400): readonly string[] {
  if (cached && cached.length === count) return cached;
  const faker = fakerNL_BE;
  faker.seed(CATALOG_SEED);
  const names = new Set<string>();
  while (names.size < count) names.add(faker.company.name());
  cached = [...names];
  return cached;
}
