/**
 * The world the households live in, as data: regions, cities with their
 * postal codes, operators (ISPs and pay-TV), channels with their ad policy,
 * services with their line-ups, screens. It is read by the simulator,
 * which draws from it, and by the validator, which checks events against
 * it without calling any of the simulator's code.
 *
 * @module
 */
import belgium from "./belgium.json" with { type: "json" };
import type { INCIDENT_TARGETS } from "./incidents.ts";

/** Region codes used by Statbel. */
export type RegionCode = "VLG" | "WAL" | "BRU";

/** A region's share of households and of Dutch-speaking homes. */
export interface Region {
  households: number;
  dutch: number;
  /** How long its sessions last, relative to Flanders (CIM minutes per day). */
  viewing: number;
}

/** A municipality households are drawn from, weighted by population. */
export interface City {
  name: string;
  province: string;
  regionCode: RegionCode;
  population: number;
  postalCodes: string[];
}

/** An internet and pay-TV operator. */
export interface Operator {
  id: string;
  /** Its TV app, on its set-top box and elsewhere. */
  service: string;
  /** The `os` its set-top boxes report. */
  box: string;
  boxModels: string[];
  /** Share of households it connects, per region. */
  share: Record<RegionCode, number>;
  /** IPv4 ranges (CIDR) its subscribers' addresses come from. */
  ipv4: string[];
  /** Its IPv6 prefix (first two groups), or null where it has none. */
  ipv6: string | null;
}

/** A linear channel. */
export interface Channel {
  id: string;
  name: string;
  /** nl, fr, or en (offered to every household). */
  language: string;
  owner: string;
  /** "none": no ad breaks, in any service; "commercial": breaks, at most 12 min an hour. */
  ads: "none" | "commercial";
  /** Relative share of viewing within its language. */
  weight: number;
  /** Regional channels: the only province that receives it. */
  province?: string;
  /** A single-genre channel. */
  genre?: string;
  /** A channel airing only these genres. */
  genres?: string[];
}

/** A streaming service or TV app. */
export interface Service {
  id: string;
  kind: "operator" | "broadcaster" | "svod" | "avod";
  /** Operator apps: the operator. */
  operator?: string;
  /** Ads in on-demand plays. */
  vodAds: boolean;
  /** Ads in live streams, where the channel carries them (operators pass them through). */
  liveAds?: boolean;
  /** Channel ids, "*" for all, "*-A,B" for all but A and B, "" for none. */
  lineup: string;
  /** Time-shifted (replay) viewing of its channels. */
  timeshift?: boolean;
  /** Weight among on-demand services. */
  weight?: number;
  /** Language of its catalogue, where it has one. */
  language?: string;
  /** CDN -> share of its plays. */
  cdns: Record<string, number>;
  /** On-demand titles in its catalogue. */
  catalog: number;
  /** Prefix of its content ids. */
  prefix?: string;
}

/** A screen type: its OS mix and network mix. */
export interface DeviceProfile {
  os: Record<string, number>;
  networks: Record<string, number>;
}

/** How households are made up. */
export interface Population {
  /** Households simulated when `--households` is not given. */
  households: number;
  /** Shares of households of 1, 2, 3... members (up to 6). */
  sizes?: number[];
  /** Shares of households with 1, 2, 3... TV sets (up to 4). */
  tvs?: number[];
  /** Shares of households owning each other screen (adults all have a phone). */
  devices?: Partial<Ownership>;
}

/** Shares of households owning a screen, and of children with a phone. */
export interface Ownership {
  ctvStick: number;
  console: number;
  tablet: number;
  web: number;
  /** Share of members beyond the first two (children) with a phone. */
  childPhone: number;
}

/**
 * The population a scenario's absent keys take: Belgium's, as belgium.json
 * gives it (docs/realism.md 1.3).
 */
export const DEFAULT_POPULATION: Readonly<Required<Population>> & {
  devices: Readonly<Ownership>;
} = belgium.population;

/** The default ownership: Belgium's. */
export const DEFAULT_OWNERSHIP: Readonly<Ownership> =
  DEFAULT_POPULATION.devices;

/** How people watch: the rates a scenario can turn up or down. */
export interface Behaviour {
  /** Share of tunes that are surfs (under 10 s). */
  surfShare: number;
  /** Median minutes of a tune that is not a surf. */
  tuneMinutes: number;
  /** Binge guard: at most this many autoplays in a row. */
  maxAutoplay: number;
  /** Ad load: linear pods this much longer (at most 12 min an hour), VoD mid-rolls this much more often. */
  adLoad: number;
  /** Share of on-demand plays that fail to start. */
  startFailureRate: number;
  /** Stalls this many times as often as the default. */
  rebuffering: number;
  /** Chance of a pause in each 10 s of on-demand play. */
  pauseChancePer10s: number;
  /** Chance of a seek in each 10 s of on-demand play. */
  seekChancePer10s: number;
}

/** The behaviour of the default world, as belgium.json gives it (docs/realism.md). */
export const DEFAULT_BEHAVIOUR: Readonly<Behaviour> = belgium.behaviour;

/** The whole world. */
export interface World {
  name: string;
  description: string;
  population?: Population;
  /** How people watch; each key absent takes its default. */
  behaviour?: Partial<Behaviour>;
  regions: Record<RegionCode, Region>;
  cities: City[];
  operators: Operator[];
  /** Share of households with a pay-TV subscription (and a set-top box). */
  tvSubscription: number;
  /** The bitrate ladder (Apple's HLS authoring ladder). */
  ladder: { kbps: number; resolution: string }[];
  channels: Channel[];
  services: Service[];
  devices: Record<string, DeviceProfile>;
  /** Device models per OS. */
  models: Record<string, string[]>;
  /** OS versions per OS, newest first. */
  osVersions: Record<string, string[]>;
  /** What goes wrong, and when (as `--incident` would say it). */
  incidents?: ScenarioIncident[];
  /** Event types of its own, beside the built-in ones. */
  eventTypes?: ScenarioEventType[];
}

/** How one field of an added event type is drawn. */
export type FieldGenerator =
  | { choice: (string | number | boolean)[] }
  | { uniform: [number, number]; integer?: boolean }
  | { lognormal: [number, number]; integer?: boolean }
  | { faker: string };

/** An event type a scenario adds: when it fires, how often, its fields. */
export interface ScenarioEventType {
  name: string;
  /** During a play (on demand), a tune (live), or either. */
  during: "play" | "tune" | "app";
  /** Mean events per hour of that activity. */
  perHour: number;
  fields: Record<string, FieldGenerator>;
}

/** An incident in a scenario file: `--incident`'s fields as keys. */
export type ScenarioIncident =
  & {
    kind: string;
    /** `HH:MM` (Brussels, the first day) or an ISO date-time. */
    at: string;
    /** `15m`, `90s`, `2h`. */
    for?: string;
    severity?: number;
  }
  & Partial<Record<typeof INCIDENT_TARGETS[number], string>>;

/** Device types (realism 3.1). */
export const DEVICE_TYPES = [
  "STB",
  "SmartTV",
  "CTVStick",
  "Console",
  "Mobile",
  "Tablet",
  "Web",
] as const;

/** Programme genres (realism 1.2). */
export const GENRES = [
  "news",
  "drama",
  "entertainment",
  "sport",
  "documentary",
  "film",
  "reality",
  "kids",
] as const;

/** The default world: Belgium (docs/realism.md section 4). */
export const WORLD: World = belgium as unknown as World;

/** Returns the channel ids in a service's line-up. */
export function lineupOf(world: World, service: Service): string[] {
  const spec = service.lineup.trim();
  if (spec === "") return [];
  if (spec.startsWith("*")) {
    const except = new Set(spec.slice(2).split(",").filter(Boolean));
    return world.channels.map((c) => c.id).filter((id) => !except.has(id));
  }
  return spec.split(",").map((s) => s.trim());
}

/** Whether a service shows ads in a live stream of a channel. */
export function liveAdsAllowed(channel: Channel, service: Service): boolean {
  if (channel.ads === "none") return false;
  return service.kind === "operator" || service.liveAds === true;
}
