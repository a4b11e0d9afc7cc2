/**
 * The world the households live in, ready to draw from: a {@linkcode Catalog}
 * of a scenario's cities, channels, services, operators and screens, the
 * bitrate ladder, the EPG and the linear ad-break schedule; and the parts
 * that do not depend on the scenario (genres, creatives, VoD titles, the
 * diurnal template). Figures cite sections of docs/realism.md.
 *
 * @module
 */
import { cumulative, hash32, hashString, type Shares, shares } from "./rng.ts";
import { HOUR_MS } from "./time.ts";
import { compileExtraTypes, type ExtraType } from "./extra_events.ts";
import {
  type Behaviour,
  type Channel,
  type City,
  DEFAULT_BEHAVIOUR,
  DEFAULT_OWNERSHIP,
  DEFAULT_POPULATION,
  DEVICE_TYPES,
  GENRES,
  lineupOf,
  type Operator,
  type Ownership,
  type RegionCode,
  type Service,
  WORLD,
  type World,
} from "../world/world.ts";

export type {
  Channel,
  City,
  Operator,
  RegionCode,
  Service,
} from "../world/world.ts";

/** Channel indices a household can tune in a service, with cumulative weights. */
export interface ChannelPool {
  channels: number[];
  weights: Float64Array;
}

/** Broadcasters' apps of one language, which stream their own channels live, with cumulative weights. */
export interface AppChoice {
  apps: Service[];
  weights: Float64Array;
}

/** An IPv4 range as numbers: its first address and size. */
export interface Range {
  start: number;
  size: number;
}

/** A scenario's world, with what the simulator draws from it built once. */
export class Catalog {
  /** The world this catalogue was built from. */
  readonly world: World;
  /** Cities households are drawn from (realism 4). */
  readonly cities: readonly City[];
  /**
   * Cumulative city weights: a region by its share of households
   * (Statbel), then a city by population within it.
   */
  readonly cityWeights: Float64Array;
  /** Per city: how long its region's sessions last, relative to Flanders. */
  readonly viewing: readonly number[];
  /** Linear channels (realism 1.2, 4). */
  readonly channels: readonly Channel[];
  /** Channel id -> channel. */
  readonly channelById: ReadonlyMap<string, Channel>;
  /** Service id -> service (operators' apps included). */
  readonly serviceById: ReadonlyMap<string, Service>;
  /** On-demand services, with their weights (CIM 2023 shares). */
  readonly vodServices: readonly Service[];
  /** Broadcasters' apps by catalogue language (nl, fr). */
  readonly broadcasterApps: ReadonlyMap<string, AppChoice>;
  /** CDN shares per service id. */
  readonly serviceCdns: ReadonlyMap<string, Shares>;
  /** The operators: internet and pay-TV providers. */
  readonly operators: readonly Operator[];
  /** Per region: cumulative operator shares. */
  readonly operatorWeights: Readonly<Record<RegionCode, Float64Array>>;
  /** Each operator's IPv4 ranges, parsed. */
  readonly ipv4Ranges: readonly Range[][];
  /** Operating systems per device type; set-top boxes report their operator's box instead. */
  readonly deviceOs: Readonly<Record<DeviceType, Shares>>;
  /** Home networks of fixed screens per device type. */
  readonly deviceNetworks: Readonly<Record<DeviceType, Shares>>;
  /** Cumulative shares of households of 1..6 members. */
  readonly householdSizes: readonly number[];
  /** Cumulative shares of households with 1.. TV sets. */
  readonly tvCounts: readonly number[];
  /** The scenario's own event types, ready to draw. */
  readonly extraTypes: readonly ExtraType[];
  /** Who owns which screens (the scenario's, defaults filled in). */
  readonly ownership: Readonly<Ownership>;
  /** How people watch (the scenario's, defaults filled in). */
  readonly behaviour: Readonly<Behaviour>;
  /** Apple HLS authoring ladder (kbps, resolution), realism 1.4. */
  readonly ladder: readonly { kbps: number; resolution: string }[];
  readonly #pools = new Map<string, ChannelPool>();

  /** Builds the catalogue of `world` (checked by the scenario loader). */
  constructor(world: World) {
    this.world = world;
    const cities = this.cities = world.cities;
    this.cityWeights = cumulative(cities.map((c) => {
      const regionPop = cities.filter((x) => x.regionCode === c.regionCode)
        .reduce((a, x) => a + x.population, 0);
      return world.regions[c.regionCode].households * c.population /
        regionPop;
    }));
    this.viewing = cities.map((c) => world.regions[c.regionCode].viewing);
    this.channels = world.channels;
    this.channelById = new Map(world.channels.map((c) => [c.id, c]));
    this.serviceById = new Map(world.services.map((s) => [s.id, s]));
    this.vodServices = world.services.filter((s) => s.catalog > 0);
    this.broadcasterApps = new Map(["nl", "fr"].map((language) => {
      const apps = world.services.filter((s) =>
        s.kind === "broadcaster" && s.language === language
      );
      return [language, {
        apps,
        weights: cumulative(apps.map((a) => a.weight ?? 0)),
      }];
    }));
    this.serviceCdns = new Map(
      world.services.map((s) => [s.id, shares(s.cdns)]),
    );
    this.operators = world.operators;
    this.operatorWeights = Object.fromEntries(
      (["VLG", "WAL", "BRU"] as const).map((r) => [
        r,
        cumulative(world.operators.map((o) => o.share[r])),
      ]),
    ) as Record<RegionCode, Float64Array>;
    this.ipv4Ranges = world.operators.map((o) => o.ipv4.map(parseCidr));
    this.deviceOs = byDeviceType((t) => shares(world.devices[t]?.os ?? {}));
    this.deviceNetworks = byDeviceType((t) =>
      shares(world.devices[t]!.networks)
    );
    this.ladder = world.ladder;
    this.behaviour = { ...DEFAULT_BEHAVIOUR, ...world.behaviour };
    this.ownership = { ...DEFAULT_OWNERSHIP, ...world.population?.devices };
    this.extraTypes = compileExtraTypes(world.eventTypes);
    // Statbel: mean 2.26 members, P(1) = 0.34; TVs: mean 1.52 (realism 1.3).
    this.householdSizes = normalised(
      world.population?.sizes ?? DEFAULT_POPULATION.sizes,
    );
    this.tvCounts = normalised(world.population?.tvs ?? DEFAULT_POPULATION.tvs);
  }

  /**
   * The channels of a service's line-up a household watches: its language's
   * (and the English ones), and the regional channel of its own province only.
   */
  channelPool(
    service: Service,
    language: string,
    province: string,
  ): ChannelPool {
    const key = `${service.id}|${language}|${province}`;
    let pool = this.#pools.get(key);
    if (!pool) {
      const lineup = new Set(lineupOf(this.world, service));
      const channels = this.channels;
      const mine = channels.flatMap((c, i) =>
        lineup.has(c.id) &&
          (c.language === language || c.language === "en") &&
          (c.province === undefined || c.province === province)
          ? [i]
          : []
      );
      // A broadcaster's app whose channels are all in the other language
      // still plays them to whoever opens it.
      const list = mine.length > 0
        ? mine
        : channels.flatMap((c, i) =>
          lineup.has(c.id) && !c.province ? [i] : []
        );
      pool = {
        channels: list,
        weights: cumulative(list.map((i) => channels[i]!.weight)),
      };
      this.#pools.set(key, pool);
    }
    return pool;
  }

  /**
   * Returns the program airing on a channel at an instant (pure; the EPG is a
   * function). The result is shared: do not modify it.
   */
  readonly programAt = (channelId: string, ms: number): Program =>
    this.#programInSlot(channelId, Math.floor(ms / SLOT_MS));

  /**
   * Returns the ad breaks of a channel in the clock hour containing `ms`.
   * Three or four breaks, at a second within their minute, each a pod of
   * creatives up to 80-170 s: at most 12 minutes an hour (EU 20% cap), none
   * on ad-free channels, none during news or kids programs. The result is
   * shared: do not modify it.
   */
  readonly adBreaksInHour = (
    channelId: string,
    ms: number,
  ): readonly AdBreak[] =>
    this.#breaksInHour(channelId, Math.floor(ms / HOUR_MS));

  readonly #programInSlot = memo((channelId: string, at: number) =>
    programInSlot(this.channelById.get(channelId), channelId, at)
  );

  readonly #breaksInHour = memo((channelId: string, hour: number) =>
    breaksInHour(
      this.channelById.get(channelId),
      channelId,
      hour,
      this.programAt,
      this.behaviour.adLoad,
    )
  );
}

const catalogs = new WeakMap<World, Catalog>();

/** The catalogue of a world, built once per world. */
export function catalogOf(world: World): Catalog {
  let catalog = catalogs.get(world);
  if (!catalog) catalogs.set(world, catalog = new Catalog(world));
  return catalog;
}

/** Cumulative shares, the last exactly 1. */
function normalised(shares: readonly number[]): number[] {
  const total = shares.reduce((a, b) => a + b, 0);
  let sum = 0;
  const out = shares.map((s) => (sum += s) / total);
  out[out.length - 1] = 1;
  return out;
}

function parseCidr(cidr: string): Range {
  const [base, bits] = cidr.split("/");
  return {
    start: base!.split(".").reduce((a, o) => a * 256 + Number(o), 0),
    size: 2 ** (32 - Number(bits)),
  };
}

/** Device types (realism 3.1). */
export { DEVICE_TYPES };
/** One device type. */
export type DeviceType = typeof DEVICE_TYPES[number];

/** True for big-screen devices that watch linear TV by default. */
export function isTvScreen(type: DeviceType): boolean {
  return type === "STB" || type === "SmartTV";
}

function byDeviceType<T>(f: (t: DeviceType) => T): Record<DeviceType, T> {
  return Object.fromEntries(DEVICE_TYPES.map((t) => [t, f(t)])) as Record<
    DeviceType,
    T
  >;
}

/** Program genres. */
export { GENRES };

/** One EPG slot: which program airs on a channel at a time. */
export interface Program {
  programId: string;
  genre: string;
  startMs: number;
  endMs: number;
}

const SLOT_MS = 30 * 60_000;

/**
 * Remembers a pure function's results per channel and integer key, a few
 * thousand per channel: tunes and the ad-break schedule ask for the same
 * programs and hours over and over.
 */
function memo<T>(
  compute: (channelId: string, key: number) => T,
): (channelId: string, key: number) => T {
  const byChannel = new Map<string, Map<number, T>>();
  return (channelId, key) => {
    let cache = byChannel.get(channelId);
    if (!cache) byChannel.set(channelId, cache = new Map());
    let value = cache.get(key);
    if (value === undefined) {
      if (cache.size >= 4096) cache.clear();
      value = compute(channelId, key);
      cache.set(key, value);
    }
    return value;
  };
}

/** Half-hour slots per EPG block: a program starts at least every block. */
const BLOCK_SLOTS = 3;

function programInSlot(
  channel: Channel | undefined,
  channelId: string,
  at: number,
): Program {
  // Programs are 30, 60 or 90 minutes, aligned to half hours. A program
  // starts at every block boundary and, by the hash, at some slots inside
  // a block; a slot belongs to the nearest start at or before it, and its
  // program ends at the next start. Since every block boundary is a start,
  // both searches stay inside one block and two programs never overlap.
  const code = channelCode(channelId);
  let slot = at;
  while (!programStartsAt(code, slot)) slot--;
  let end = at + 1;
  while (!programStartsAt(code, end)) end++;
  const startMs = slot * SLOT_MS;
  const date = new Date(startMs).toISOString();
  const programId = `${channelId}-${date.slice(0, 10).replaceAll("-", "")}-${
    date.slice(11, 16).replace(":", "")
  }`;
  return {
    programId,
    genre: genreOf(channel, code, slot),
    startMs,
    endMs: end * SLOT_MS,
  };
}

const codeCache = new Map<string, number>();
function channelCode(id: string): number {
  let code = codeCache.get(id);
  if (code === undefined) codeCache.set(id, code = hashString(id));
  return code;
}

function programStartsAt(code: number, slot: number): boolean {
  return ((slot % BLOCK_SLOTS) + BLOCK_SLOTS) % BLOCK_SLOTS === 0 ||
    (hash32(code, slot, 7) & 1) === 0;
}

function genreOf(
  channel: Channel | undefined,
  code: number,
  slot: number,
): string {
  if (channel?.genre) return channel.genre;
  if (channel?.genres) {
    return channel.genres[hash32(code, slot) % channel.genres.length]!;
  }
  const utcHalfHour = ((slot % 48) + 48) % 48;
  // The evening news airs at 19:00 local (17:00 or 18:00 UTC) on the
  // Belgian generalist channels.
  if (
    (utcHalfHour === 36 || utcHalfHour === 34) && channel &&
    channel.owner !== "FOREIGN"
  ) return "news";
  const g = hash32(code, slot, 3) % 7;
  return GENRES[g === 0 ? 1 : g]!;
}

/** An ad break on a commercial linear channel: the same pod for every viewer. */
export interface AdBreak {
  adBreakId: string;
  startMs: number;
  durationSec: number;
  /** Creative numbers of the spots, in order. */
  ads: number[];
}

/** Creatives in the ad catalogue; creative n belongs to advertiser n mod their count. */
export const CREATIVES = 4000;
const CREATIVE_LENGTHS = [10, 15, 15, 15, 20, 20, 30, 30, 30, 60];

/** Returns the length of creative `n` in seconds: one length per creative. */
export function creativeLength(n: number): number {
  const x = hash32(n, 0xad);
  const len = CREATIVE_LENGTHS[x % CREATIVE_LENGTHS.length]!;
  // A minute-long spot is rare.
  return len === 60 && (x >>> 8) % 4 !== 0 ? 30 : len;
}

function breaksInHour(
  channel: Channel | undefined,
  channelId: string,
  hour: number,
  programAt: (channelId: string, ms: number) => Program,
  adLoad: number,
): AdBreak[] {
  if (!channel || channel.ads === "none") return [];
  const hourStart = hour * HOUR_MS;
  const code = channelCode(channelId);
  const h = hash32(code, hour, 11);
  const count = 3 + (h & 1);
  const breaks: AdBreak[] = [];
  for (let i = 0; i < count; i++) {
    const startMs = hourStart + (i * 15 + 6 + ((h >>> (i + 2)) & 3)) * 60_000 +
      hash32(code, hour, i, 13) % 60_000;
    const genre = programAt(channelId, startMs).genre;
    if (genre === "news" || genre === "kids") continue;
    // Four breaks of at most 180 s keep within 12 minutes an hour.
    const target = Math.min(
      180,
      Math.round((80 + hash32(code, hour, i, 17) % 91) * adLoad),
    );
    const ads: number[] = [];
    let total = 0;
    for (let k = 0; k < 12 && total < target - 9; k++) {
      const ad = hash32(code, hour, i, k, 19) % CREATIVES;
      const len = creativeLength(ad);
      if (total + len > target) continue;
      ads.push(ad);
      total += len;
    }
    if (ads.length === 0) continue;
    breaks.push({
      adBreakId: `AB_${channelId}_${Math.floor(startMs / 1000)}`,
      startMs,
      durationSec: total,
      ads,
    });
  }
  return breaks;
}

/** A VoD asset. */
export interface Content {
  contentId: string;
  contentType: "episode" | "movie" | "clip" | "catchup";
  durationSec: number;
  genre: string;
  /** Index in its service's catalogue. */
  index: number;
}

/** Returns asset `index` of a service's catalogue (pure). */
export function contentAt(service: Service, index: number): Content {
  const h = hash32(index, service.catalog, 1234567);
  const kind = h % 20;
  // Broadcasters' catalogues are mostly episodes and catch-up; SVODs carry films.
  const broadcaster = service.kind === "broadcaster";
  const contentType = kind < (broadcaster ? 10 : 12)
    ? "episode"
    : kind < (broadcaster ? 12 : 17)
    ? "movie"
    : kind < 19
    ? "clip"
    : broadcaster || kind === 19 && service.kind === "operator"
    ? "catchup"
    : "episode";
  const u = ((h >>> 8) & 0xffff) / 65536;
  const durationSec = contentType === "episode"
    ? Math.round(1500 + u * 2100)
    : contentType === "movie"
    ? Math.round(5100 + u * 3900)
    : contentType === "clip"
    ? Math.round(120 + u * 480)
    : Math.round(1800 + u * 1800);
  return {
    contentId: `${service.prefix ?? "VOD"}_${String(index).padStart(5, "0")}`,
    contentType,
    durationSec,
    genre: GENRES[1 + ((h >>> 24) % 6)]!,
    index,
  };
}

const popularity = new Map<number, Float64Array>();

/** Cumulative Zipf(1.0) popularity over a catalogue of `size` titles. */
export function contentPopularity(size: number): Float64Array {
  let cum = popularity.get(size);
  if (!cum) {
    cum = cumulative(Array.from({ length: size }, (_, i) => 1 / (i + 1)));
    popularity.set(size, cum);
  }
  return cum;
}

/**
 * Share of daily viewing minutes by Brussels local hour (realism 1.1 template).
 * Sums to 100.
 */
export const HOURLY_TEMPLATE: readonly number[] = [
  2.3,
  1.3,
  0.6,
  0.4,
  0.3,
  0.3,
  0.5,
  1.0,
  1.3,
  1.5,
  1.8,
  2.0,
  2.6,
  3.1,
  3.1,
  3.1,
  3.6,
  4.6,
  6.9,
  11.5,
  14.8,
  15.3,
  12.2,
  6.1,
];

/** Weekly multipliers by local weekday (0 = Sunday heaviest, Saturday weak). */
export const WEEKDAY_FACTOR: readonly number[] = [
  1.14,
  1.0,
  1.0,
  1.0,
  1.0,
  1.0,
  0.92,
];

// Last: building it needs the module's constants above.
/** The default world's catalogue (the built-in Belgian scenario). */
export const DEFAULT_CATALOG: Catalog = catalogOf(WORLD);
