/**
 * The only importer of @faker-js/faker: builds the advertiser catalog once,
 * and each on-demand title the first time it is played,
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

const titles = new Map<string, string>();

/**
 * Returns the title of on-demand asset `contentId` (its number `n`), in the
 * catalogue's language: drawn once per title with a seed of its own, so a
 * title is the same in every run and every worker.
 */
export function titleOf(
  contentId: string,
  n: number,
  language: string,
): string {
  let title = titles.get(contentId);
  if (title !== undefined) return title;
  const faker = fakerNL_BE;
  faker.seed(CATALOG_SEED + n * 7919 + contentId.length);
  const name = faker.person.lastName();
  const place = faker.location.street().replace(
    /(straat|laan|dreef|weg|plein)$/,
    "",
  );
  const pick = n % 6;
  if (language === "nl") {
    title = [
      `De familie ${name}`,
      `Moord in ${place}`,
      `${place}`,
      `Dokter ${name}`,
      `Thuis in ${place}`,
      `${name} & zonen`,
    ][pick]!;
  } else if (language === "fr") {
    title = [
      `La famille ${name}`,
      `Meurtres à ${place}`,
      `Les secrets de ${place}`,
      `Docteur ${name}`,
      `Retour à ${place}`,
      `${name} et fils`,
    ][pick]!;
  } else {
    title = pick < 3 ? faker.book.title() : faker.music.songName();
  }
  if (titles.size >= 50_000) titles.clear();
  titles.set(contentId, title);
  return title;
}

/**
 * Returns faker's `module.method` (a scenario field's, from the allowed
 * list) drawn with `seed`: the same value for the same seed in every run.
 */
export function fakerValue(method: string, seed: number): string {
  const faker = fakerNL_BE;
  const [module, name] = method.split(".");
  const fn = (faker as unknown as Record<string, Record<string, unknown>>)[
    module!
  ]?.[name!];
  if (typeof fn !== "function") {
    throw new RangeError(`Cannot draw faker "${method}": no such method`);
  }
  faker.seed(seed);
  return String(fn.call(
    (faker as unknown as Record<string, unknown>)[module!],
  ));
}
