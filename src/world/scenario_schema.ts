/**
 * The JSON Schema of a scenario file: what `tvstream schema --scenario`
 * prints and what the scenario loader checks a file against, field by
 * field, before the cross-references (src/world/scenario.ts).
 *
 * @module
 */
import { FAKER_METHODS } from "./event_types.ts";
import { INCIDENT_TARGETS } from "./incidents.ts";
import { DEVICE_TYPES, GENRES } from "./world.ts";

/** A JSON Schema (the subset this file uses). */
export interface Schema {
  type?:
    | "object"
    | "array"
    | "string"
    | "number"
    | "integer"
    | "boolean"
    | "null";
  description?: string;
  properties?: Record<string, Schema>;
  required?: string[];
  additionalProperties?: boolean | Schema;
  items?: Schema;
  minItems?: number;
  maxItems?: number;
  enum?: readonly (string | number)[];
  minimum?: number;
  maximum?: number;
  minLength?: number;
  pattern?: string;
  anyOf?: Schema[];
  default?: unknown;
}

const REGIONS = ["VLG", "WAL", "BRU"] as const;

const text = (description: string): Schema => ({
  type: "string",
  minLength: 1,
  description,
});
const share = (description: string): Schema => ({
  type: "number",
  minimum: 0,
  description,
});
const shares = (description: string): Schema => ({
  type: "object",
  additionalProperties: share("a share (shares are relative)"),
  description,
});
const strings = (description: string, minItems = 1): Schema => ({
  type: "array",
  items: { type: "string", minLength: 1 },
  minItems,
  description,
});

/** An object whose every listed property is required and no other is allowed. */
function record(
  description: string,
  properties: Record<string, Schema>,
  optional: string[] = [],
): Schema {
  return {
    type: "object",
    description,
    properties,
    required: Object.keys(properties).filter((k) => !optional.includes(k)),
    additionalProperties: false,
  };
}

/** The same schema for each of `keys`, all required. */
function each(
  description: string,
  keys: readonly string[],
  item: Schema,
): Schema {
  return record(description, Object.fromEntries(keys.map((k) => [k, item])));
}

const region = record("A region's households and viewing", {
  households: share("share of the scenario's households living there"),
  dutch: { ...share("share of its homes that watch in Dutch"), maximum: 1 },
  viewing: {
    ...share("how long its sessions last, relative to 1 (Flanders)"),
    minimum: 0.1,
    maximum: 5,
  },
});

const city = record("A municipality households are drawn from", {
  name: text("its name, as events carry it in `region`"),
  province: text("its province (a regional channel reaches one province)"),
  regionCode: { enum: REGIONS, description: "its region" },
  population: {
    type: "number",
    minimum: 1,
    description: "weight within its region",
  },
  postalCodes: strings("its postal codes"),
});

const operator = record("An internet and pay-TV operator", {
  id: text("its name, as events carry it in `isp`"),
  service: text("the id of its TV app (a service of kind operator)"),
  box: text("the `os` its set-top boxes report"),
  boxModels: strings("its set-top box models"),
  share: each("share of households it connects, per region", REGIONS, {
    ...share("a share"),
    maximum: 1,
  }),
  ipv4: {
    type: "array",
    minItems: 1,
    items: {
      type: "string",
      description:
        "an IPv4 range in CIDR notation, /0 to /24 (e.g. 198.51.100.0/24)",
      pattern:
        "^(\\d{1,3})\\.(\\d{1,3})\\.(\\d{1,3})\\.(\\d{1,3})/(\\d|1\\d|2[0-4])$",
    },
    description:
      "IPv4 ranges (CIDR, /0 to /24) its subscribers' addresses come from",
  },
  ipv6: {
    anyOf: [
      {
        type: "string",
        pattern: "^[0-9a-f]{1,4}:[0-9a-f]{1,4}$",
        description: "the first two groups of an IPv6 prefix (e.g. 2001:db8)",
      },
      { type: "null" },
    ],
    description: "its IPv6 prefix (first two groups), or null",
  },
});

const channel = record(
  "A linear channel",
  {
    id: {
      type: "string",
      pattern: "^[A-Za-z0-9_]+$",
      description: "its id (letters, digits, _)",
    },
    name: text("its name"),
    language: {
      enum: ["nl", "fr", "en"],
      description: "nl or fr; en is offered to every household",
    },
    owner: text("its broadcaster group"),
    ads: {
      enum: ["none", "commercial"],
      description:
        "none: no ad breaks anywhere; commercial: up to 12 min an hour",
    },
    weight: {
      type: "number",
      minimum: 0.01,
      description: "relative share of viewing within its language",
    },
    province: text("regional channel: the only province that receives it"),
    genre: { enum: GENRES, description: "a single-genre channel" },
    genres: {
      type: "array",
      minItems: 1,
      items: { enum: GENRES },
      description: "a channel airing only these genres",
    },
  },
  ["province", "genre", "genres"],
);

const service = record(
  "A streaming service or TV app",
  {
    id: text("its name, as events carry it in `serviceId`"),
    kind: {
      enum: ["operator", "broadcaster", "svod", "avod"],
      description:
        "operator app, broadcaster player, subscription or ad-funded",
    },
    operator: text("operator apps: the operator's id"),
    vodAds: { type: "boolean", description: "ads in on-demand plays" },
    liveAds: {
      type: "boolean",
      description: "ads in live streams where the channel carries them",
    },
    lineup: {
      type: "string",
      description:
        'channel ids, comma-separated; "*" for all, "*-A,B" for all but A and B, "" for none',
    },
    timeshift: { type: "boolean", description: "replay of its channels" },
    weight: share("weight among on-demand services (% of households, roughly)"),
    language: { enum: ["nl", "fr"], description: "language of its catalogue" },
    cdns: shares("CDN -> share of its plays"),
    catalog: {
      type: "integer",
      minimum: 0,
      maximum: 1_000_000,
      description: "on-demand titles (0: live only)",
    },
    prefix: {
      type: "string",
      pattern: "^[A-Z0-9]+$",
      description: "prefix of its content ids",
    },
  },
  ["operator", "liveAds", "timeshift", "weight", "language", "prefix"],
);

const device = record("A screen type", {
  os: shares(
    "its operating systems (set-top boxes report their operator's box)",
  ),
  networks: shares("its home networks"),
});

const incident = record(
  "Something that goes wrong: `tvstream run --help` lists the kinds",
  {
    kind: {
      enum: [
        "cdn_outage",
        "isp_degradation",
        "app_crash",
        "ad_server_down",
        "live_event",
      ],
      description: "what goes wrong",
    },
    at: text("HH:MM (Brussels, the stream's first day) or an ISO date-time"),
    for: {
      type: "string",
      pattern: "^\\d+(\\.\\d+)?(s|m|h)$",
      description: "how long: 90s, 15m, 2h (default 15m)",
    },
    severity: {
      type: "number",
      minimum: 0.01,
      maximum: 1,
      description: "how hard it hits, 0.01 to 1 (default 0.8)",
    },
    cdn: text("cdn_outage: the CDN"),
    isp: text("isp_degradation: the operator"),
    region: { enum: REGIONS, description: "isp_degradation: only this region" },
    os: text("app_crash: the OS"),
    appVersion: text("app_crash: only this app version"),
    service: text("ad_server_down: only this service"),
    channel: text("live_event: the channel"),
  },
  ["for", "severity", ...INCIDENT_TARGETS],
);

const rate = (description: string, maximum: number, minimum = 0): Schema => ({
  type: "number",
  minimum,
  maximum,
  description,
});

const behaviour = record(
  "How people watch; a key left out takes its default (tvstream scenario --print shows them)",
  {
    surfShare: rate("share of tunes that are surfs, under 10 s", 1),
    tuneMinutes: rate("median minutes of a tune that is not a surf", 240, 1),
    maxAutoplay: {
      type: "integer",
      minimum: 0,
      maximum: 20,
      description: "binge guard: at most this many autoplays in a row",
    },
    adLoad: rate(
      "ad load: linear pods this much longer (at most 12 min an hour), on-demand mid-rolls this much more often",
      3,
      0.1,
    ),
    startFailureRate: rate("share of on-demand plays that fail to start", 0.5),
    rebuffering: rate("stalls this many times as often as by default", 20),
    pauseChancePer10s: rate(
      "chance of a pause in each 10 s of on-demand play",
      0.1,
    ),
    seekChancePer10s: rate(
      "chance of a seek in each 10 s of on-demand play",
      0.1,
    ),
  },
  [
    "surfShare",
    "tuneMinutes",
    "maxAutoplay",
    "adLoad",
    "startFailureRate",
    "rebuffering",
    "pauseChancePer10s",
    "seekChancePer10s",
  ],
);

const number2 = (description: string): Schema => ({
  type: "array",
  items: { type: "number" },
  minItems: 2,
  maxItems: 2,
  description,
});

const generator: Schema = {
  description:
    'how the field is drawn: {"choice": [values]}, {"uniform": [min, max]}, {"lognormal": [median, sigma]} (each with "integer": true for whole numbers), or {"faker": "person.firstName"}',
  anyOf: [
    record("one of these values, equally likely", {
      choice: {
        type: "array",
        minItems: 1,
        items: {
          anyOf: [{ type: "string" }, { type: "number" }, {
            type: "boolean",
          }],
        },
      },
    }),
    record("uniform between min and max", {
      uniform: number2("[min, max]"),
      integer: { type: "boolean" },
    }, ["integer"]),
    record("lognormal around a median", {
      lognormal: number2("[median, sigma]"),
      integer: { type: "boolean" },
    }, ["integer"]),
    record("a faker value (nl_BE)", {
      faker: { enum: FAKER_METHODS, description: "a faker method" },
    }),
  ],
};

const eventType = record("An event type of the scenario's own", {
  name: {
    type: "string",
    pattern: "^[a-z][a-z0-9_]*$",
    description: "its name (lower case, digits, _), not a built-in type",
  },
  during: {
    enum: ["play", "tune", "app"],
    description: "when it fires: during on-demand plays, live tunes, or both",
  },
  perHour: {
    type: "number",
    minimum: 0,
    maximum: 3600,
    description: "mean events per hour of that activity",
  },
  fields: {
    type: "object",
    additionalProperties: generator,
    description:
      "its fields (camelCase names, not built-in ones) and how each is drawn",
  },
});

const population = record(
  "Households",
  {
    households: {
      type: "integer",
      minimum: 1,
      maximum: 10_000_000,
      description: "households simulated when --households is not given",
    },
    sizes: {
      type: "array",
      items: share("a share"),
      minItems: 1,
      description: "share of households of 1, 2, 3... members (up to 6)",
    },
    tvs: {
      type: "array",
      items: share("a share"),
      minItems: 1,
      description: "share of households with 1, 2, 3 TV sets",
    },
    devices: record(
      "who owns which screens; a key left out takes its default",
      {
        ctvStick: rate("share of households with a streaming stick", 1),
        console: rate("share of households with a game console", 1),
        tablet: rate("share of households with a tablet", 1),
        web: rate("share of households watching on a computer", 1),
        childPhone: rate(
          "share of children (members beyond two) with a phone",
          1,
        ),
      },
      ["ctvStick", "console", "tablet", "web", "childPhone"],
    ),
  },
  ["households", "sizes", "tvs", "devices"],
);

/** The scenario file's JSON Schema. */
export const SCENARIO_SCHEMA: Schema & Record<string, unknown> = {
  $schema: "https://json-schema.org/draft/2020-12/schema",
  $id: "urn:tvstream:scenario",
  title: "tvstream scenario",
  ...record(
    "The world tvstream simulates: its households, channels, services and screens",
    {
      $schema: { type: "string", description: "this schema's URL" },
      name: text("the scenario's name"),
      description: text("what it simulates"),
      population,
      behaviour,
      regions: each("regions (Statbel codes)", REGIONS, region),
      cities: {
        type: "array",
        items: city,
        minItems: 1,
        description: "cities",
      },
      operators: {
        type: "array",
        items: operator,
        minItems: 1,
        description: "operators",
      },
      tvSubscription: {
        ...share("share of households with pay TV (and a set-top box)"),
        maximum: 1,
      },
      ladder: {
        type: "array",
        minItems: 6,
        items: record("A rung of the bitrate ladder", {
          kbps: { type: "integer", minimum: 1 },
          resolution: {
            type: "string",
            pattern: "^\\d+x\\d+$",
            description: "width x height, e.g. 1280x720",
          },
        }),
        description: "the bitrate ladder, lowest first, at least 6 rungs",
      },
      channels: {
        type: "array",
        items: channel,
        minItems: 1,
        description: "linear channels",
      },
      services: {
        type: "array",
        items: service,
        minItems: 1,
        description: "services and TV apps",
      },
      devices: each("screen types", DEVICE_TYPES, device),
      models: {
        type: "object",
        additionalProperties: strings("device models"),
        description: "device models per OS",
      },
      osVersions: {
        type: "object",
        additionalProperties: strings("versions, newest first"),
        description: "OS versions per OS, newest first",
      },
      incidents: {
        type: "array",
        items: incident,
        description: "what goes wrong, and when",
      },
      eventTypes: {
        type: "array",
        items: eventType,
        description: "event types of its own, beside the built-in ones",
      },
    },
    [
      "$schema",
      "description",
      "population",
      "behaviour",
      "incidents",
      "eventTypes",
    ],
  ),
};
