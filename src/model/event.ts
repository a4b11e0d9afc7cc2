/**
 * The event contract: every event type, its fields and their types. The JSON
 * Schema printed by `tvstream schema`, the Parquet schema, and the record
 * check the consumer applies are all derived from this one table.
 *
 * @module
 */

/** Version of the event schema, carried in Kafka headers and Parquet metadata. */
export const SCHEMA_VERSION = 2;

/** Field value kinds. */
export type FieldKind = "string" | "int" | "double" | "boolean" | "timestamp";

/** Every field an event may carry, with its kind and meaning. */
export const FIELDS = {
  event: ["string", "event type"],
  eventId: ["string", "unique event id (UUID)"],
  timestamp: ["timestamp", "event time, ISO-8601 UTC with milliseconds"],
  householdId: ["string", "household, HH_ + digits"],
  userId: ["string", "household member, U_ + 7 digits"],
  tvId: ["string", "device id, TV_ + 6 digits (every screen type)"],
  region: ["string", "city of the household (e.g. Ghent)"],
  regionCode: ["string", "VLG, WAL or BRU"],
  postalCode: ["string", "postal code of the household, within its city"],
  isp: ["string", "internet operator of the household"],
  deviceType: [
    "string",
    "STB, SmartTV, CTVStick, Console, Mobile, Tablet, Web",
  ],
  os: ["string", "device operating system or box"],
  appVersion: ["string", "version of the app (or player) of the service"],
  networkType: ["string", "ethernet, wifi, 4G or 5G"],
  serviceId: ["string", "app / service (Telenet TV, Netflix, VRT MAX...)"],
  appSessionId: ["string", "app session (app_start .. app_end)"],
  playbackSessionId: ["string", "one channel tune or one VoD play"],
  launchType: ["string", "cold or warm"],
  coldStartMs: ["int", "app start-up time"],
  householdSize: ["int", "persons in the household"],
  tvCount: ["int", "TV sets in the household"],
  ipAddress: ["string", "household public IPv4 address, from its ISP's ranges"],
  ipv6Prefix: ["string", "household IPv6 /64, where its ISP has IPv6"],
  deviceModel: ["string", "device make and model"],
  osVersion: ["string", "version of the OS, box firmware or browser"],
  userAgent: ["string", "user agent of the app or browser"],
  appSessionDurationSec: ["int", "app session length"],
  endReason: ["string", "why a tune, play or app session ended"],
  channelId: ["string", "linear channel id (VRT1, VTM, HBO...)"],
  channelName: ["string", "linear channel name"],
  programId: ["string", "EPG program airing on the channel"],
  programGenre: ["string", "genre of the program"],
  tuneMethod: ["string", "power_on, up, down, number, epg, last_channel"],
  zapLatencyMs: ["int", "channel change latency"],
  isLive: ["boolean", "live linear viewing"],
  timeshiftOffsetSec: ["int", "seconds behind live (0 = live)"],
  watchDurationSec: ["int", "channel_end - channel_start, seconds"],
  isSurf: ["boolean", "tune shorter than 10 s"],
  contentId: ["string", "VoD asset id, prefixed by its service's catalogue"],
  title: ["string", "VoD asset title"],
  contentType: ["string", "episode, movie, clip, catchup"],
  durationSec: ["int", "VoD asset length"],
  startPositionSec: ["double", "resume position"],
  autoplay: ["boolean", "started by autoplay"],
  cdn: ["string", "delivering CDN"],
  protocol: ["string", "HLS or DASH"],
  startupTimeMs: ["int", "video startup time (after any pre-roll)"],
  bitrateKbps: ["int", "current ladder rung"],
  resolution: ["string", "WIDTHxHEIGHT"],
  positionSec: ["double", "playhead seconds"],
  bufferHealthSec: ["double", "seconds of media buffered"],
  pauseDurationSec: ["double", "length of the pause being resumed"],
  fromSec: ["double", "seek origin"],
  toSec: ["double", "seek target"],
  seekLatencyMs: ["int", "time to complete the seek"],
  bufferDurationMs: ["int", "stall length"],
  cause: ["string", "buffering cause: network, seek, ad_transition"],
  fromKbps: ["int", "previous rung"],
  toKbps: ["int", "new rung"],
  errorCode: ["string", "player error code"],
  errorMessage: ["string", "player error message"],
  severity: ["string", "fatal or warning"],
  phase: ["string", "startup, playback or ad"],
  playTimeSec: ["double", "seconds of content played"],
  rebufferTimeSec: ["double", "seconds stalled after first frame (network)"],
  rebufferCount: ["int", "stalls after first frame"],
  adBreakId: ["string", "ad break (pod) id"],
  adPosition: ["string", "pre, mid (VoD) or linear"],
  podLength: ["int", "ads in the break"],
  plannedDurationSec: ["int", "planned break length"],
  adId: ["string", "creative id"],
  advertiser: ["string", "brand that bought the ad"],
  adDurationSec: ["int", "creative length"],
  podPosition: ["int", "1-based position in the break"],
  skippable: ["boolean", "skip button offered after 5 s"],
  quartile: ["int", "1, 2 or 3"],
  watchedSec: ["double", "seconds of the ad watched"],
  adsPlayed: ["int", "ads started in the break"],
  adsCompleted: ["int", "ads completed in the break"],
} as const satisfies Record<string, readonly [FieldKind, string]>;

/** A field name. */
export type FieldName = keyof typeof FIELDS;

/** Fields on every event. */
export const COMMON_FIELDS: readonly FieldName[] = [
  "event",
  "eventId",
  "timestamp",
  "householdId",
  "userId",
  "tvId",
  "region",
  "regionCode",
  "postalCode",
  "isp",
  "deviceType",
  "os",
  "appVersion",
  "networkType",
  "serviceId",
  "appSessionId",
];

const PLAY: readonly FieldName[] = ["playbackSessionId"];
const LIVE_OR_VOD: readonly FieldName[] = ["channelId", "contentId"];

/** Per event type: [required fields beyond the common ones, optional fields]. */
export const EVENT_FIELDS = {
  app_start: [[
    "launchType",
    "coldStartMs",
    "householdSize",
    "tvCount",
    "ipAddress",
    "deviceModel",
    "osVersion",
    "userAgent",
  ], ["ipv6Prefix"]],
  app_end: [["endReason", "appSessionDurationSec"], []],
  channel_start: [[
    ...PLAY,
    "channelId",
    "channelName",
    "programId",
    "programGenre",
    "tuneMethod",
    "zapLatencyMs",
    "isLive",
    "timeshiftOffsetSec",
  ], []],
  channel_end: [[
    ...PLAY,
    "channelId",
    "programId",
    "watchDurationSec",
    "endReason",
    "isSurf",
  ], []],
  playback_start: [[
    ...PLAY,
    "contentId",
    "title",
    "contentType",
    "durationSec",
    "startPositionSec",
    "autoplay",
    "cdn",
    "protocol",
  ], []],
  playback_first_frame: [[
    ...PLAY,
    "contentId",
    "startupTimeMs",
    "bitrateKbps",
    "resolution",
  ], []],
  heartbeat: [[...PLAY, "positionSec", "bitrateKbps", "bufferHealthSec"], [
    ...LIVE_OR_VOD,
  ]],
  pause: [[...PLAY, "contentId", "positionSec"], []],
  resume: [[...PLAY, "contentId", "positionSec", "pauseDurationSec"], []],
  seek_start: [[...PLAY, "contentId", "fromSec", "toSec"], []],
  seek_end: [[...PLAY, "contentId", "positionSec", "seekLatencyMs"], []],
  buffer_start: [[...PLAY, "positionSec", "cause"], [...LIVE_OR_VOD]],
  buffer_end: [[...PLAY, "positionSec", "bufferDurationMs", "cause"], [
    ...LIVE_OR_VOD,
  ]],
  bitrate_change: [[...PLAY, "fromKbps", "toKbps", "resolution"], [
    ...LIVE_OR_VOD,
  ]],
  error: [[...PLAY, "errorCode", "errorMessage", "severity", "phase"], [
    ...LIVE_OR_VOD,
  ]],
  playback_end: [[
    ...PLAY,
    "contentId",
    "endReason",
    "positionSec",
    "playTimeSec",
    "rebufferTimeSec",
    "rebufferCount",
  ], ["startupTimeMs"]],
  ad_break_start: [[
    ...PLAY,
    "adBreakId",
    "adPosition",
    "podLength",
    "plannedDurationSec",
  ], [...LIVE_OR_VOD, "programId", "programGenre"]],
  ad_start: [[
    ...PLAY,
    "adBreakId",
    "adId",
    "advertiser",
    "adDurationSec",
    "podPosition",
    "skippable",
  ], [...LIVE_OR_VOD]],
  ad_quartile: [[...PLAY, "adBreakId", "adId", "quartile"], [...LIVE_OR_VOD]],
  ad_complete: [[...PLAY, "adBreakId", "adId", "watchedSec"], [
    ...LIVE_OR_VOD,
  ]],
  ad_skip: [[...PLAY, "adBreakId", "adId", "watchedSec"], [...LIVE_OR_VOD]],
  ad_abandon: [[...PLAY, "adBreakId", "adId", "watchedSec"], [
    ...LIVE_OR_VOD,
  ]],
  ad_break_end: [[...PLAY, "adBreakId", "adsPlayed", "adsCompleted"], [
    ...LIVE_OR_VOD,
  ]],
} as const satisfies Record<
  string,
  readonly [readonly FieldName[], readonly FieldName[]]
>;

/** An event type name. */
export type EventType = keyof typeof EVENT_FIELDS;

/** Every event type, in schema order. */
export const EVENT_TYPES: readonly EventType[] = Object.keys(
  EVENT_FIELDS,
) as EventType[];

/** An event type a scenario adds: its fields, and whether it belongs to a play. */
export interface ExtraEventType {
  name: string;
  /** Carries `playbackSessionId` (and `channelId` or `contentId`). */
  inPlay: boolean;
  fields: Record<string, Exclude<FieldKind, "timestamp">>;
}

/** Fields that scenarios added, with their kinds. */
const EXTRA_FIELDS = new Map<string, FieldKind>();
/** Event types that scenarios added, in the order they were added. */
const EXTRA_TYPES = new Map<string, ExtraEventType>();

/** Whether `name` is a built-in event type or field (a scenario may not reuse it). */
export function isBuiltIn(name: string): boolean {
  return name in FIELDS || name in EVENT_FIELDS;
}

/**
 * Adds a scenario's event types to the schema of this process (or
 * worker): the consumer accepts them, and their fields become columns
 * after the built-in ones. Call before any column buffer is made. Adding
 * the same type again changes nothing.
 */
export function registerEventTypes(types: readonly ExtraEventType[]): void {
  for (const type of types) {
    if (EXTRA_TYPES.has(type.name) || isBuiltIn(type.name)) continue;
    EXTRA_TYPES.set(type.name, type);
    const fields = new Map<string, [FieldKind, boolean]>();
    for (const name of COMMON_FIELDS) fields.set(name, [FIELDS[name][0], true]);
    if (type.inPlay) {
      fields.set("playbackSessionId", ["string", true]);
      for (const f of LIVE_OR_VOD) fields.set(f, ["string", false]);
    }
    for (const [name, kind] of Object.entries(type.fields)) {
      fields.set(name, [kind, true]);
      if (!EXTRA_FIELDS.has(name)) {
        EXTRA_FIELDS.set(name, kind);
        (ALL_FIELDS as string[]).push(name);
      }
    }
    const required = [...fields.values()].filter(([, r]) => r).length;
    SPECS.set(type.name, { fields, required });
  }
}

/** A flat telemetry event as emitted (timestamp is an ISO string). */
export interface TelemetryEvent {
  event: EventType;
  eventId: string;
  timestamp: string;
  [field: string]: string | number | boolean;
}

/**
 * Ordered list of every field, common ones first, then the scenario's: the
 * Parquet column order.
 */
export const ALL_FIELDS: readonly string[] = [
  ...COMMON_FIELDS,
  ...(Object.keys(FIELDS) as FieldName[]).filter((f) =>
    !COMMON_FIELDS.includes(f)
  ),
];

/** Event times: ISO-8601 UTC with milliseconds, years 2000-2099. */
const ISO_RE = /^20\d{2}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/;

/** Identifier formats, as the JSON Schema publishes them. */
export const ID_PATTERNS: Partial<Record<FieldName, RegExp>> = {
  eventId: /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/,
  householdId: /^HH_\d{6,}$/,
  userId: /^U_\d{7,}$/,
  tvId: /^TV_\d{6,}$/,
};

/**
 * The same formats as checks the consumer runs on every record: character
 * loops, as they cost a fraction of the regular expressions (a test holds
 * the two to the same answers).
 */
export const ID_CHECKS: Partial<Record<FieldName, (s: string) => boolean>> = {
  eventId: isUuid,
  householdId: isHouseholdId,
  userId: isUserId,
  tvId: isTvId,
};

function isHouseholdId(s: string): boolean {
  return s.startsWith("HH_") && digitsFrom(s, 3, 6);
}

function isUserId(s: string): boolean {
  return s.startsWith("U_") && digitsFrom(s, 2, 7);
}

function isTvId(s: string): boolean {
  return s.startsWith("TV_") && digitsFrom(s, 3, 6);
}

/** 1 for the character codes of lower-case hex digits and the dash. */
const UUID_CHARS = new Uint8Array(128);
for (const c of "0123456789abcdef-") UUID_CHARS[c.charCodeAt(0)] = 1;

/** Whether `s` is a lower-case hex UUID (8-4-4-4-12). */
function isUuid(s: string): boolean {
  if (
    s.length !== 36 || s.charCodeAt(8) !== 45 || s.charCodeAt(13) !== 45 ||
    s.charCodeAt(18) !== 45 || s.charCodeAt(23) !== 45
  ) return false;
  let dashes = 0;
  for (let i = 0; i < 36; i++) {
    const c = s.charCodeAt(i);
    if (UUID_CHARS[c] !== 1) return false;
    if (c === 45) dashes++;
  }
  return dashes === 4;
}

/** Whether `s` holds at least `min` characters from `from` on, all digits. */
function digitsFrom(s: string, from: number, min: number): boolean {
  if (s.length - from < min) return false;
  for (let i = from; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c < 48 || c > 57) return false;
  }
  return true;
}

/**
 * Per event type, every field it may carry with its kind and whether it is
 * required: one Map lookup per key is all a valid record costs.
 */
const SPECS: Map<
  string,
  {
    fields: Map<string, [FieldKind, boolean]>;
    required: number;
  }
> = new Map(
  Object.entries(EVENT_FIELDS).map(([type, [required, optional]]) => {
    const fields = new Map<string, [FieldKind, boolean]>();
    for (const name of [...COMMON_FIELDS, ...required]) {
      fields.set(name, [FIELDS[name][0], true]);
    }
    for (const name of optional) {
      fields.set(name, [FIELDS[name][0], false]);
    }
    return [type, { fields, required: COMMON_FIELDS.length + required.length }];
  }),
);

/** A field's kind, built-in or a scenario's. */
export function fieldKind(name: string): FieldKind | undefined {
  return (FIELDS as Record<string, readonly [FieldKind, string]>)[name]?.[0] ??
    EXTRA_FIELDS.get(name);
}

/** Builds the JSON Schema (draft 2020-12) of every event type. */
export function eventJsonSchema(): Record<string, unknown> {
  const prop = (name: string): Record<string, unknown> => {
    const [kind, description] =
      (FIELDS as Record<string, readonly [FieldKind, string]>)[name] ??
        [EXTRA_FIELDS.get(name)!, "added by the scenario"];
    switch (kind) {
      case "int":
        return {
          type: "integer",
          minimum: -2147483648,
          maximum: 2147483647,
          description,
        };
      case "double":
        return { type: "number", description };
      case "boolean":
        return { type: "boolean", description };
      case "timestamp":
        return {
          type: "string",
          format: "date-time",
          pattern: ISO_RE.source,
          description,
        };
      default: {
        const pattern = ID_PATTERNS[name as FieldName];
        return pattern
          ? { type: "string", pattern: pattern.source, description }
          : { type: "string", minLength: 1, description };
      }
    }
  };
  return {
    $schema: "https://json-schema.org/draft/2020-12/schema",
    $id: "https://github.com/tvstream/tvstream/schema/event.json",
    title: "tvstream telemetry event",
    description: `Schema version ${SCHEMA_VERSION}. One object per event.`,
    oneOf: [...SPECS.keys()].map((type) => {
      const fields = [...SPECS.get(type)!.fields];
      const names = fields.map(([n]) => n);
      return {
        title: type,
        type: "object",
        additionalProperties: false,
        required: fields.filter(([, [, r]]) => r).map(([n]) => n),
        properties: Object.fromEntries(
          names.map((
            n,
          ) => [n, n === "event" ? { const: type } : prop(n)]),
        ),
      };
    }),
  };
}

/**
 * Checks one parsed value against the schema; returns the reason it is not
 * a valid event, or `undefined` when it is. When `time` is given it receives
 * the event time in epoch ms, parsed once here for callers that need it.
 */
export function eventProblem(
  value: unknown,
  time?: { ms: number },
): string | undefined {
  if (typeof value !== "object" || value === null || Array.isArray(value)) {
    return "not a JSON object";
  }
  const record = value as Record<string, unknown>;
  const type = record["event"];
  if (typeof type !== "string") return 'missing field "event"';
  const spec = SPECS.get(type);
  if (!spec) return `unknown event type "${type}"`;
  let required = 0;
  for (const key in record) {
    const field = spec.fields.get(key);
    if (!field) {
      return key in FIELDS || EXTRA_FIELDS.has(key)
        ? `field "${key}" is not used by ${type}`
        : `unknown field "${key}"`;
    }
    if (field[1]) required++;
    const v = record[key];
    switch (field[0]) {
      case "int":
        // Stored as Parquet INT32: a larger value would not fit the column.
        if (typeof v !== "number" || (v | 0) !== v) {
          return `field "${key}" must be a 32-bit integer`;
        }
        break;
      case "double":
        if (typeof v !== "number" || !Number.isFinite(v)) {
          return `field "${key}" must be a number`;
        }
        break;
      case "boolean":
        if (typeof v !== "boolean") return `field "${key}" must be a boolean`;
        break;
      case "timestamp": {
        // Years 2000-2099 only (the schema's pattern): anything else is a
        // clock bug, not telemetry.
        if (typeof v !== "string" || !ISO_RE.test(v)) {
          return `field "${key}" must be an ISO-8601 UTC time with milliseconds, in 2000-2099`;
        }
        // The schema's date-time format: a real calendar time.
        // Date.parse rolls a day past the month's end over into the next
        // month; only days 29-31 need the check.
        const ms = Date.parse(v);
        const day = (v.charCodeAt(8) - 48) * 10 + v.charCodeAt(9) - 48;
        if (
          Number.isNaN(ms) || (day > 28 && new Date(ms).getUTCDate() !== day)
        ) {
          return `field "${key}" is an impossible time "${v}"`;
        }
        if (time) time.ms = ms;
        break;
      }
      default:
        if (typeof v !== "string" || v === "") {
          return `field "${key}" must be a non-empty string`;
        }
    }
  }
  if (required < spec.required) {
    for (const name of COMMON_FIELDS) {
      if (!(name in record)) return `missing field "${name}"`;
    }
    for (const [name, [, isRequired]] of spec.fields) {
      if (isRequired && !(name in record)) {
        return `missing field "${name}" for ${type}`;
      }
    }
  }
  return idProblem(record);
}

/** Whether the identifiers (present, and strings by now) have their published formats. */
function idProblem(record: Record<string, unknown>): string | undefined {
  // Direct calls, not a loop over ID_CHECKS: this runs for every record.
  if (!isUuid(record["eventId"] as string)) return idMismatch("eventId");
  if (!isHouseholdId(record["householdId"] as string)) {
    return idMismatch("householdId");
  }
  if (!isUserId(record["userId"] as string)) return idMismatch("userId");
  if (!isTvId(record["tvId"] as string)) return idMismatch("tvId");
  return undefined;
}

function idMismatch(name: FieldName): string {
  return `field "${name}" must match ${ID_PATTERNS[name]!.source}`;
}
