/**
 * The fixed world the households live in: Belgian cities, linear channels,
 * streaming services, device profiles, the bitrate ladder, the EPG and the
 * linear ad-break schedule. Figures cite sections of docs/realism.md.
 *
 * @module
 */
import { cumulative, hash32 } from "./rng.ts";
import { HOUR_MS } from "./time.ts";

/** Region codes used by Statbel. */
export type RegionCode = "VLG" | "WAL" | "BRU";

/** A municipality households are drawn from, weighted by population (realism 4). */
export interface City {
  name: string;
  province: string;
  regionCode: RegionCode;
  population: number;
}

/** Cities and 2020 populations (thousands), realism section 4. */
export const CITIES: readonly City[] = [
  { name: "Antwerp", province: "Antwerp", regionCode: "VLG", population: 529 },
  {
    name: "Ghent",
    province: "East Flanders",
    regionCode: "VLG",
    population: 264,
  },
  {
    name: "Bruges",
    province: "West Flanders",
    regionCode: "VLG",
    population: 119,
  },
  {
    name: "Leuven",
    province: "Flemish Brabant",
    regionCode: "VLG",
    population: 102,
  },
  {
    name: "Aalst",
    province: "East Flanders",
    regionCode: "VLG",
    population: 87,
  },
  { name: "Mechelen", province: "Antwerp", regionCode: "VLG", population: 87 },
  { name: "Hasselt", province: "Limburg", regionCode: "VLG", population: 79 },
  {
    name: "Sint-Niklaas",
    province: "East Flanders",
    regionCode: "VLG",
    population: 79,
  },
  {
    name: "Kortrijk",
    province: "West Flanders",
    regionCode: "VLG",
    population: 77,
  },
  {
    name: "Ostend",
    province: "West Flanders",
    regionCode: "VLG",
    population: 72,
  },
  { name: "Genk", province: "Limburg", regionCode: "VLG", population: 66 },
  {
    name: "Charleroi",
    province: "Hainaut",
    regionCode: "WAL",
    population: 203,
  },
  { name: "Liège", province: "Liège", regionCode: "WAL", population: 197 },
  { name: "Namur", province: "Namur", regionCode: "WAL", population: 111 },
  { name: "Mons", province: "Hainaut", regionCode: "WAL", population: 96 },
  {
    name: "La Louvière",
    province: "Hainaut",
    regionCode: "WAL",
    population: 81,
  },
  {
    name: "Brussels",
    province: "Brussels-Capital",
    regionCode: "BRU",
    population: 185,
  },
  {
    name: "Schaerbeek",
    province: "Brussels-Capital",
    regionCode: "BRU",
    population: 133,
  },
  {
    name: "Anderlecht",
    province: "Brussels-Capital",
    regionCode: "BRU",
    population: 121,
  },
  {
    name: "Molenbeek",
    province: "Brussels-Capital",
    regionCode: "BRU",
    population: 98,
  },
  {
    name: "Ixelles",
    province: "Brussels-Capital",
    regionCode: "BRU",
    population: 88,
  },
  {
    name: "Uccle",
    province: "Brussels-Capital",
    regionCode: "BRU",
    population: 84,
  },
];

/** Cumulative city weights. */
export const CITY_WEIGHTS: Float64Array = cumulative(
  CITIES.map((c) => c.population),
);

/** City name -> city, for the validator's geography rule. */
export const CITY_BY_NAME: ReadonlyMap<string, City> = new Map(
  CITIES.map((c) => [c.name, c]),
);

/** A linear TV channel. */
export interface Channel {
  id: string;
  name: string;
  language: "nl" | "fr";
  /** VRT (public, no ads), commercial, regional or premium. */
  owner: "VRT" | "DPG" | "PLAY" | "REGIONAL" | "PREMIUM" | "RTBF" | "RTL";
  /** Relative share of viewing within its language (realism 1.2). */
  weight: number;
  /** Carries commercial ad breaks. VRT, RTBF's La Trois and premium do not. */
  ads: boolean;
  kids?: boolean;
}

/** Belgian linear channels; Flemish weights follow the CIM shares (VRT 1 ~ 30%). */
export const CHANNELS: readonly Channel[] = [
  {
    id: "VRT1",
    name: "VRT 1",
    language: "nl",
    owner: "VRT",
    weight: 30,
    ads: false,
  },
  {
    id: "VTM",
    name: "VTM",
    language: "nl",
    owner: "DPG",
    weight: 19,
    ads: true,
  },
  {
    id: "PLAY4",
    name: "Play4",
    language: "nl",
    owner: "PLAY",
    weight: 7,
    ads: true,
  },
  {
    id: "CANVAS",
    name: "VRT Canvas",
    language: "nl",
    owner: "VRT",
    weight: 6,
    ads: false,
  },
  {
    id: "VTM2",
    name: "VTM 2",
    language: "nl",
    owner: "DPG",
    weight: 5,
    ads: true,
  },
  {
    id: "KETNET",
    name: "Ketnet",
    language: "nl",
    owner: "VRT",
    weight: 4,
    ads: false,
    kids: true,
  },
  {
    id: "PLAY5",
    name: "Play5",
    language: "nl",
    owner: "PLAY",
    weight: 3,
    ads: true,
  },
  {
    id: "VTM3",
    name: "VTM 3",
    language: "nl",
    owner: "DPG",
    weight: 2.5,
    ads: true,
  },
  {
    id: "VTM4",
    name: "VTM 4",
    language: "nl",
    owner: "DPG",
    weight: 2,
    ads: true,
  },
  {
    id: "PLAYSPORTS",
    name: "Play Sports",
    language: "nl",
    owner: "PREMIUM",
    weight: 1.6,
    ads: false,
  },
  {
    id: "PLAY6",
    name: "Play6",
    language: "nl",
    owner: "PLAY",
    weight: 1.5,
    ads: true,
  },
  {
    id: "VTMGOLD",
    name: "VTM GOLD",
    language: "nl",
    owner: "DPG",
    weight: 1.2,
    ads: true,
  },
  {
    id: "HBO",
    name: "HBO",
    language: "nl",
    owner: "PREMIUM",
    weight: 1.1,
    ads: false,
  },
  {
    id: "PLAY7",
    name: "Play7",
    language: "nl",
    owner: "PLAY",
    weight: 1,
    ads: true,
  },
  {
    id: "ATV",
    name: "ATV",
    language: "nl",
    owner: "REGIONAL",
    weight: 0.8,
    ads: true,
  },
  {
    id: "TVOOST",
    name: "TV Oost",
    language: "nl",
    owner: "REGIONAL",
    weight: 0.6,
    ads: true,
  },
  {
    id: "LAUNE",
    name: "La Une",
    language: "fr",
    owner: "RTBF",
    weight: 22,
    ads: true,
  },
  {
    id: "RTLTVI",
    name: "RTL-TVI",
    language: "fr",
    owner: "RTL",
    weight: 24,
    ads: true,
  },
  {
    id: "TIPIK",
    name: "Tipik",
    language: "fr",
    owner: "RTBF",
    weight: 6,
    ads: true,
  },
  {
    id: "LATROIS",
    name: "La Trois",
    language: "fr",
    owner: "RTBF",
    weight: 3,
    ads: false,
  },
  {
    id: "CLUBRTL",
    name: "Club RTL",
    language: "fr",
    owner: "RTL",
    weight: 5,
    ads: true,
  },
  {
    id: "PLUGRTL",
    name: "Plug RTL",
    language: "fr",
    owner: "RTL",
    weight: 3,
    ads: true,
  },
];

/** Channel id -> channel. */
export const CHANNEL_BY_ID: ReadonlyMap<string, Channel> = new Map(
  CHANNELS.map((c) => [c.id, c]),
);

/** Indices of Dutch-language and French-language channels with cumulative weights. */
export const CHANNELS_NL: readonly number[] = CHANNELS.flatMap((c, i) =>
  c.language === "nl" ? [i] : []
);
export const CHANNELS_FR: readonly number[] = CHANNELS.flatMap((c, i) =>
  c.language === "fr" ? [i] : []
);
export const CHANNEL_WEIGHTS_NL: Float64Array = cumulative(
  CHANNELS_NL.map((i) => CHANNELS[i]!.weight),
);
export const CHANNEL_WEIGHTS_FR: Float64Array = cumulative(
  CHANNELS_FR.map((i) => CHANNELS[i]!.weight),
);

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
/** One device type. */
export type DeviceType = typeof DEVICE_TYPES[number];

/** True for big-screen devices that watch linear TV by default. */
export function isTvScreen(type: DeviceType): boolean {
  return type === "STB" || type === "SmartTV";
}

/** Operating systems per device type. */
export const DEVICE_OS: Record<DeviceType, readonly string[]> = {
  STB: ["Telenet TV-box", "Proximus Pickx box"],
  SmartTV: ["Tizen", "webOS", "Google TV", "Android TV"],
  CTVStick: ["Google TV Streamer", "Fire TV", "tvOS"],
  Console: ["PlayStation", "Xbox"],
  Mobile: ["iOS", "Android"],
  Tablet: ["iPadOS", "Android"],
  Web: ["Chrome", "Safari", "Edge", "Firefox"],
};

/** A streaming service (app) and whether it shows ads (realism 4, 1.5). */
export interface Service {
  id: string;
  /** ad-supported (AVOD/BVOD) or not (SVOD ad-free, public). */
  ads: boolean;
  weight: number;
}

/** On-demand services used in Belgium (CIM 2023 shares). */
export const SERVICES: readonly Service[] = [
  { id: "Netflix", ads: false, weight: 45 },
  { id: "VRT MAX", ads: false, weight: 32 },
  { id: "VTM GO", ads: true, weight: 30 },
  { id: "Disney+", ads: false, weight: 17 },
  { id: "Streamz", ads: false, weight: 10 },
  { id: "Prime Video", ads: false, weight: 10 },
  { id: "GoPlay", ads: true, weight: 9 },
  { id: "RTL Play", ads: true, weight: 8 },
  { id: "Auvio", ads: false, weight: 8 },
];
/** Cumulative service weights. */
export const SERVICE_WEIGHTS: Float64Array = cumulative(
  SERVICES.map((s) => s.weight),
);
/** Service id -> service. */
export const SERVICE_BY_ID: ReadonlyMap<string, Service> = new Map(
  SERVICES.map((s) => [s.id, s]),
);

/** Apple HLS authoring ladder (kbps, resolution), realism 1.4. */
export const LADDER: readonly { kbps: number; resolution: string }[] = [
  { kbps: 145, resolution: "416x234" },
  { kbps: 365, resolution: "640x360" },
  { kbps: 730, resolution: "768x432" },
  { kbps: 1100, resolution: "768x432" },
  { kbps: 2000, resolution: "960x540" },
  { kbps: 3000, resolution: "1280x720" },
  { kbps: 4500, resolution: "1280x720" },
  { kbps: 6000, resolution: "1920x1080" },
  { kbps: 7800, resolution: "1920x1080" },
];
/** Ladder bitrates, for the validator. */
export const LADDER_KBPS: ReadonlySet<number> = new Set(
  LADDER.map((r) => r.kbps),
);

/** Program genres. */
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

/**
 * Returns the program airing on a channel at an instant (pure; the EPG is a
 * function). The result is shared: do not modify it.
 */
export function programAt(channelId: string, ms: number): Program {
  return programInSlot(channelId, Math.floor(ms / SLOT_MS));
}

const programInSlot = memo((channelId: string, at: number): Program => {
  // Programs are 30, 60 or 90 minutes, aligned to half hours: a half-hour
  // slot belongs to the program that starts at the nearest earlier boundary
  // whose hash says "a program starts here".
  const channel = CHANNEL_BY_ID.get(channelId);
  const code = channelCode(channelId);
  let slot = at;
  let back = 0;
  while (back < 2 && !programStartsAt(code, slot)) {
    slot--;
    back++;
  }
  let end = slot + 1;
  while (end - slot < 3 && !programStartsAt(code, end)) end++;
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
});

const codeCache = new Map<string, number>();
function channelCode(id: string): number {
  let code = codeCache.get(id);
  if (code === undefined) {
    code = 0;
    for (let i = 0; i < id.length; i++) {
      code = (Math.imul(code, 31) + id.charCodeAt(i)) >>> 0;
    }
    codeCache.set(id, code);
  }
  return code;
}

function programStartsAt(code: number, slot: number): boolean {
  return (hash32(code, slot, 7) & 3) !== 0 || slot % 6 === 0;
}

function genreOf(
  channel: Channel | undefined,
  code: number,
  slot: number,
): string {
  if (channel?.kids) return "kids";
  if (channel?.id === "PLAYSPORTS") return "sport";
  if (channel?.id === "HBO") return hash32(code, slot) % 2 ? "drama" : "film";
  const utcHalfHour = ((slot % 48) + 48) % 48;
  // The evening news airs at 19:00 local (17:00 or 18:00 UTC).
  if (utcHalfHour === 36 || utcHalfHour === 34) return "news";
  const g = hash32(code, slot, 3) % 7;
  return GENRES[g === 0 ? 1 : g]!;
}

/** An ad break on a commercial linear channel. */
export interface AdBreak {
  adBreakId: string;
  startMs: number;
  durationSec: number;
}

/**
 * Returns the ad breaks of a channel in the clock hour containing `ms`.
 * Three or four breaks of 2-3 minutes: at most 12 minutes an hour (EU 20% cap),
 * none on ad-free channels, none during news or kids programs. The result is
 * shared: do not modify it.
 */
export function adBreaksInHour(
  channelId: string,
  ms: number,
): readonly AdBreak[] {
  return breaksInHour(channelId, Math.floor(ms / HOUR_MS));
}

const breaksInHour = memo((channelId: string, hour: number): AdBreak[] => {
  const channel = CHANNEL_BY_ID.get(channelId);
  if (!channel || !channel.ads) return [];
  const hourStart = hour * HOUR_MS;
  const code = channelCode(channelId);
  const h = hash32(code, hourStart / HOUR_MS, 11);
  const count = 3 + (h & 1);
  const breaks: AdBreak[] = [];
  for (let i = 0; i < count; i++) {
    const startMs = hourStart + (i * 15 + 7 + ((h >>> (i + 2)) & 3)) * 60_000;
    if (programAt(channelId, startMs).genre === "news") continue;
    const durationSec = 120 + 30 * ((h >>> (i * 2 + 8)) & 1) +
      30 * ((h >>> (i * 2 + 9)) & 1);
    breaks.push({
      adBreakId: `AB_${channelId}_${Math.floor(startMs / 60_000)}`,
      startMs,
      durationSec,
    });
  }
  return breaks;
});

/** A VoD asset. */
export interface Content {
  contentId: string;
  contentType: "episode" | "movie" | "clip" | "catchup";
  durationSec: number;
  genre: string;
}

/** Number of VoD assets in the catalog. */
export const CATALOG_SIZE = 5000;

/** Returns VoD asset `index` (pure). */
export function contentAt(index: number): Content {
  const h = hash32(index, 1234567);
  const kind = h % 20;
  const contentType = kind < 12
    ? "episode"
    : kind < 16
    ? "movie"
    : kind < 19
    ? "clip"
    : "catchup";
  const u = ((h >>> 8) & 0xffff) / 65536;
  const durationSec = contentType === "episode"
    ? Math.round(1500 + u * 2100)
    : contentType === "movie"
    ? Math.round(5100 + u * 3900)
    : contentType === "clip"
    ? Math.round(120 + u * 480)
    : Math.round(1800 + u * 1800);
  return {
    contentId: `VOD_${String(index).padStart(5, "0")}`,
    contentType,
    durationSec,
    genre: GENRES[1 + ((h >>> 24) % 6)]!,
  };
}

/** Cumulative Zipf(1.0) popularity over the catalog. */
export const CONTENT_POPULARITY: Float64Array = cumulative(
  Array.from({ length: CATALOG_SIZE }, (_, i) => 1 / (i + 1)),
);

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
  1.08,
  0.99,
  0.99,
  1.0,
  1.0,
  0.99,
  0.95,
];
