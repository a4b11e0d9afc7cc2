/**
 * Households, their members and their devices, derived on demand from
 * (seed, index): nothing about the population is stored, so a million
 * households cost no memory until they watch.
 *
 * @module
 */
import {
  CITIES,
  type City,
  CITY_WEIGHTS,
  DEVICE_OS,
  type DeviceType,
} from "./catalog.ts";
import { hash32, Rng } from "./rng.ts";

/** One screen in a household. */
export interface Device {
  tvId: string;
  deviceType: DeviceType;
  os: string;
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
  operator: string;
  /** Speaks Dutch at home (drives channel language). */
  dutch: boolean;
}

/** Household size distribution P(1..6): mean 2.26, P(1) = 0.34 (Statbel, realism 1.3). */
const SIZE_CUMULATIVE = [0.34, 0.67, 0.81, 0.94, 0.985, 1];
/** TVs per household P(1..3): mean 1.52 (realism 1.3 defaults). */
const TV_CUMULATIVE = [0.6, 0.88, 1];

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
}

const OPERATORS_WAL = ["VOO", "Proximus", "Orange"];
const OPERATORS = ["Telenet", "Proximus", "Orange"];

/** Returns the numeric core of household `index` (pure, no strings built). */
export function householdCoreAt(seed: number, index: number): HouseholdCore {
  const rng = new Rng(hash32(seed, index, 0x484f));
  const city = rng.pickCumulative(CITY_WEIGHTS);
  const size = 1 + pickCum(rng, SIZE_CUMULATIVE);
  const tvCount = 1 + pickCum(rng, TV_CUMULATIVE);
  const deviceTypes: DeviceType[] = [];
  const deviceOs: number[] = [];
  const owners: number[] = [];
  const deviceWeights: number[] = [];
  let sum = 0;
  const add = (deviceType: DeviceType, owner: number, weight: number) => {
    if (deviceTypes.length >= MAX_DEVICES) return;
    deviceTypes.push(deviceType);
    deviceOs.push(rng.int(DEVICE_OS[deviceType].length));
    owners.push(owner);
    deviceWeights.push(sum += weight);
  };
  const hasStb = rng.chance(0.8);
  for (let t = 0; t < tvCount; t++) {
    add(t === 0 && hasStb ? "STB" : "SmartTV", -1, t === 0 ? 1 : 0.45);
  }
  if (rng.chance(0.25)) add("CTVStick", -1, 0.25);
  if (rng.chance(0.15)) add("Console", -1, 0.1);
  const adults = Math.min(size, 2);
  for (let m = 0; m < size; m++) {
    if (m < adults || rng.chance(0.6)) add("Mobile", m, 0.3);
  }
  if (rng.chance(0.6)) add("Tablet", -1, 0.15);
  if (rng.chance(0.5)) add("Web", -1, 0.12);
  const regionCode = CITIES[city]!.regionCode;
  const dutch = regionCode === "VLG" ||
    (regionCode === "BRU" && rng.chance(0.35));
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
    operator: rng.int(3),
  };
}

/** Builds the full household (ids, names) from its core. */
export function expandHousehold(core: HouseholdCore): Household {
  const { index } = core;
  const city = CITIES[core.city]!;
  const userIds: string[] = [];
  for (let m = 0; m < core.size; m++) {
    userIds.push(padId("U_", index * 6 + m, 7));
  }
  const devices: Device[] = core.deviceTypes.map((deviceType, d) => ({
    tvId: padId("TV_", index * MAX_DEVICES + d, 6),
    deviceType,
    os: DEVICE_OS[deviceType][core.deviceOs[d]!]!,
    owner: core.owners[d]!,
    weight: core.deviceWeights[d]! - (d > 0 ? core.deviceWeights[d - 1]! : 0),
  }));
  return {
    index,
    householdId: padId("HH_", index, 6),
    city,
    size: core.size,
    tvCount: core.tvCount,
    userIds,
    devices,
    deviceWeights: core.deviceWeights,
    operator: (city.regionCode === "WAL" ? OPERATORS_WAL : OPERATORS)[
      core.operator
    ]!,
    dutch: core.dutch,
  };
}

function pickCum(rng: Rng, cum: readonly number[]): number {
  const x = rng.next();
  let i = 0;
  while (i < cum.length - 1 && x >= cum[i]!) i++;
  return i;
}
