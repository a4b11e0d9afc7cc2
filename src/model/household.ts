/**
 * Households, their members and their devices, derived on demand from
 * (seed, index): nothing about the population is stored, so a million
 * households cost no memory until they watch.
 *
 * @module
 */
import {
  type Catalog,
  type City,
  DEFAULT_CATALOG,
  type DeviceType,
  type Operator,
  type Range,
  type Service,
} from "./catalog.ts";
import { hash32, Rng } from "./rng.ts";

/** One screen in a household. */
export interface Device {
  tvId: string;
  deviceType: DeviceType;
  os: string;
  osVersion: string;
  model: string;
  /** Home network of a fixed screen; phones and tablets draw per session. */
  network: string;
  /** Index of the member who owns a personal device; -1 for shared screens. */
  owner: number;
  /** Relative propensity to start an app session. */
  weight: number;
}

/** A household with the attributes its events carry. */
export interface Household {
  index: number;
  householdId: string;
  city: City;
  size: number;
  tvCount: number;
  /** Member user ids; `userIds.length === size`. */
  userIds: string[];
  devices: Device[];
  /** Cumulative device weights for picking who starts a session. */
  deviceWeights: number[];
  /** Internet (and, with `tvSubscription`, pay-TV) operator. */
  operator: Operator;
  tvSubscription: boolean;
  postalCode: string;
  ipv4: string;
  /** The household's IPv6 /64, where its operator has IPv6. */
  ipv6: string | undefined;
  /** Speaks Dutch at home (drives channel language). */
  dutch: boolean;
  /** Members who watch anything at all (infants and some adults do not). */
  watchers: number[];
  /** On-demand services the household uses. */
  services: Service[];
}

/** Maximum devices in one household (coherence rule 16). */
export const MAX_DEVICES = 8;

/** Formats an id with at least `width` digits. */
export function padId(prefix: string, n: number, width: number): string {
  return prefix + String(n).padStart(width, "0");
}

/**
 * The numeric facts of a household: enough to pick a device and check
 * concurrency without building any string. Pure in (seed, index).
 */
export interface HouseholdCore {
  index: number;
  city: number;
  size: number;
  tvCount: number;
  deviceTypes: DeviceType[];
  deviceOs: number[];
  owners: number[];
  /** Cumulative device weights for picking who starts a session. */
  deviceWeights: number[];
  dutch: boolean;
  operator: number;
  tvSubscription: boolean;
  /** Bit m set: member m watches. */
  watchers: number;
  /** Seed of the household's identity (postal code, addresses, models). */
  identity: number;
}

/** Returns the numeric core of household `index` (pure, no strings built). */
export function householdCoreAt(
  seed: number,
  index: number,
  cat: Catalog = DEFAULT_CATALOG,
): HouseholdCore {
  const rng = new Rng(hash32(seed, index, 0x484f));
  const city = rng.pickCumulative(cat.cityWeights);
  const size = 1 + pickCum(rng, cat.householdSizes);
  const tvCount = 1 + pickCum(rng, cat.tvCounts);
  const deviceTypes: DeviceType[] = [];
  const deviceOs: number[] = [];
  const owners: number[] = [];
  const regionCode = cat.cities[city]!.regionCode;
  const operator = rng.pickCumulative(cat.operatorWeights[regionCode]);
  const tvSubscription = rng.chance(cat.world.tvSubscription);
  // Infants and some older children do not watch (CIM measures persons 4+).
  let watchers = 1;
  for (let m = 1; m < size; m++) {
    if (rng.chance(m < 2 ? 0.95 : 0.75)) watchers |= 1 << m;
  }
  const deviceWeights: number[] = [];
  let sum = 0;
  const add = (deviceType: DeviceType, owner: number, weight: number) => {
    if (deviceTypes.length >= MAX_DEVICES) return;
    deviceTypes.push(deviceType);
    const os = cat.deviceOs[deviceType];
    deviceOs.push(os.keys.length ? rng.pickCumulative(os.cumulative) : 0);
    owners.push(owner);
    deviceWeights.push(sum += weight);
  };
  const hasStb = tvSubscription;
  for (let t = 0; t < tvCount; t++) {
    add(t === 0 && hasStb ? "STB" : "SmartTV", -1, t === 0 ? 1 : 0.45);
  }
  const own = cat.ownership;
  if (rng.chance(own.ctvStick)) add("CTVStick", -1, 0.25);
  if (rng.chance(own.console)) add("Console", -1, 0.1);
  const adults = Math.min(size, 2);
  for (let m = 0; m < size; m++) {
    if (!(watchers & (1 << m))) continue;
    if (m < adults || rng.chance(own.childPhone)) add("Mobile", m, 0.075);
  }
  if (rng.chance(own.tablet)) add("Tablet", -1, 0.12);
  if (rng.chance(own.web)) add("Web", -1, 0.1);
  const dutch = rng.chance(cat.world.regions[regionCode].dutch);
  return {
    index,
    city,
    size,
    tvCount,
    deviceTypes,
    deviceOs,
    owners,
    deviceWeights,
    dutch,
    operator,
    tvSubscription,
    watchers,
    identity: hash32(seed, index, 0x1d),
  };
}

/** Builds the full household (ids, names, identity) from its core. */
export function expandHousehold(
  core: HouseholdCore,
  cat: Catalog = DEFAULT_CATALOG,
): Household {
  const { index } = core;
  const world = cat.world;
  const city = cat.cities[core.city]!;
  const operator = cat.operators[core.operator]!;
  const rng = new Rng(core.identity);
  const userIds: string[] = [];
  const watchers: number[] = [];
  for (let m = 0; m < core.size; m++) {
    userIds.push(padId("U_", index * 6 + m, 7));
    if (core.watchers & (1 << m)) watchers.push(m);
  }
  const devices: Device[] = core.deviceTypes.map((deviceType, d) => {
    const os = deviceType === "STB"
      ? operator.box
      : cat.deviceOs[deviceType].keys[core.deviceOs[d]!]!;
    const models = deviceType === "STB"
      ? operator.boxModels
      : world.models[os] ?? [os];
    const versions = world.osVersions[os] ?? ["1.0"];
    return {
      tvId: padId("TV_", index * MAX_DEVICES + d, 6),
      deviceType,
      os,
      // Newer versions are more common: each older one half as likely.
      osVersion: versions[Math.min(versions.length - 1, rng.geometric(0.5))]!,
      model: models[rng.int(models.length)]!,
      network: rng.pickKey(cat.deviceNetworks[deviceType]),
      owner: core.owners[d]!,
      weight: core.deviceWeights[d]! - (d > 0 ? core.deviceWeights[d - 1]! : 0),
    };
  });
  return {
    index,
    householdId: padId("HH_", index, 6),
    city,
    size: core.size,
    tvCount: core.tvCount,
    userIds,
    devices,
    deviceWeights: core.deviceWeights,
    operator,
    tvSubscription: core.tvSubscription,
    postalCode: city.postalCodes[rng.int(city.postalCodes.length)]!,
    ipv4: addressIn(cat.ipv4Ranges[core.operator]!, rng),
    ipv6: operator.ipv6 === null ? undefined : operator.ipv6 + ":" +
      rng.int(0x10000).toString(16) + ":" + rng.int(0x10000).toString(16) +
      "::/64",
    dutch: core.dutch,
    watchers,
    services: householdServices(cat, core.identity, core.dutch),
  };
}

/** A host address in one of the ranges (never a network or broadcast address). */
function addressIn(ranges: Range[], rng: Rng): string {
  const r = ranges[rng.int(ranges.length)]!;
  const n = r.start + 1 + rng.int(r.size - 2);
  return [n >>> 24, (n >>> 16) & 255, (n >>> 8) & 255, n & 255].join(".");
}

/** Draws the on-demand services a household uses (CIM 2023 shares), once per household. */
function householdServices(
  cat: Catalog,
  identity: number,
  dutch: boolean,
): Service[] {
  const rng = new Rng(hash32(identity, 0x5e7));
  const language = dutch ? "nl" : "fr";
  const vod = cat.vodServices;
  const mine = vod.filter((svc) =>
    (svc.language === undefined || svc.language === language) &&
    rng.chance(Math.min(0.95, (svc.weight ?? 0) / 100 * 1.3))
  );
  if (mine.length > 0) return mine;
  // Everyone has the public broadcaster's free player.
  return [
    vod.find((svc) => svc.language === language && !svc.vodAds) ?? vod[0]!,
  ];
}

function pickCum(rng: Rng, cum: readonly number[]): number {
  const x = rng.next();
  let i = 0;
  while (i < cum.length - 1 && x >= cum[i]!) i++;
  return i;
}
