/**
 * The checks against the world as data (src/world/): cities, postal codes
 * and operators; line-ups, ad policies and catalogues of services; and the
 * programme guide and ad breaks as the events themselves show them. None
 * of it calls the simulator: a stream that contradicts the world's data,
 * or contradicts itself, is caught whatever code wrote it.
 *
 * @module
 */
import {
  type Channel,
  type City,
  lineupOf,
  liveAdsAllowed,
  type Operator,
  type Service,
  type World,
} from "../world/world.ts";
import type { Fields, Flag, Play } from "./state.ts";

/** A world's data, indexed by the names events carry. */
class WorldIndex {
  readonly city: Map<string, City>;
  readonly postalCodes: Map<string, Set<string>>;
  readonly operator: Map<string, Operator>;
  readonly channel: Map<string, Channel>;
  readonly service: Map<string, Service>;
  readonly lineup: Map<string, Set<string>>;
  readonly boxOf: Map<string, string>;

  constructor(world: World) {
    this.city = new Map(world.cities.map((c) => [c.name, c]));
    this.postalCodes = new Map(
      world.cities.map((c) => [c.name, new Set(c.postalCodes)]),
    );
    this.operator = new Map(world.operators.map((o) => [o.id, o]));
    this.channel = new Map(world.channels.map((c) => [c.id, c]));
    this.service = new Map(world.services.map((s) => [s.id, s]));
    this.lineup = new Map(
      world.services.map((s) => [s.id, new Set(lineupOf(world, s))]),
    );
    this.boxOf = new Map(world.operators.map((o) => [o.service, o.box]));
  }
}
const TV_SCREENS = new Set(["STB", "SmartTV"]);
const MOBILE_NETWORKS = new Set(["4G", "5G"]);
/** How long a linear break's first viewing is remembered, to compare later viewers with. */
const BREAK_MEMORY_MS = 6 * 3_600_000;

/** A program as the events show it: where its id says it starts, its genre, when it was last named. */
interface SeenProgram {
  start: number;
  genre: string;
  lastSeen: number;
}

/** A linear break as its first viewer saw it. */
interface SeenBreak {
  at: number;
  planned: number;
  podLength: number;
  ads: string[];
}

/** Parses the start of a program from its id (`CHANNEL-YYYYMMDD-HHMM`, UTC). */
export function programStart(programId: string): number | undefined {
  const m = /-(\d{4})(\d{2})(\d{2})-(\d{2})(\d{2})$/.exec(programId);
  if (!m) return undefined;
  return Date.UTC(+m[1]!, +m[2]! - 1, +m[3]!, +m[4]!, +m[5]!);
}

/** The world checks and what they remember. */
export class WorldChecks {
  readonly #flag: Flag;
  readonly #w: WorldIndex;
  readonly #programs = new Map<string, Map<string, SeenProgram>>();
  readonly #breaks = new Map<string, SeenBreak>();
  readonly #creatives = new Map<string, number>();

  /** Checks against `world` that report to `flag`. */
  constructor(flag: Flag, world: World) {
    this.#flag = flag;
    this.#w = new WorldIndex(world);
  }

  /** Every event: the city, postal code and operator belong together. */
  household(e: Fields): void {
    const city = this.#w.city.get(e["region"] as string);
    if (!city || city.regionCode !== e["regionCode"]) {
      this.#flag("geography", e, "city not in its region code");
      return;
    }
    if (!this.#w.postalCodes.get(city.name)!.has(e["postalCode"] as string)) {
      this.#flag("geography", e, "postal code not in the city");
    }
    const isp = this.#w.operator.get(e["isp"] as string);
    if (!isp || !(isp.share[city.regionCode] > 0)) {
      this.#flag("geography", e, "ISP does not serve the region");
    }
  }

  /** A tune or play opens: the service, its line-up or catalogue, the screen. */
  open(e: Fields, live: boolean, t: number, shiftMs: number): void {
    const service = this.#w.service.get(e["serviceId"] as string);
    const type = e["deviceType"] as string;
    if (!service) {
      this.#flag("lineup", e, "unknown service");
      return;
    }
    if (type === "STB" && this.#w.boxOf.get(service.id) !== e["os"]) {
      this.#flag("lineup", e, "set-top box not running its operator's app");
    }
    if (
      TV_SCREENS.has(type) && MOBILE_NETWORKS.has(e["networkType"] as string)
    ) {
      this.#flag("lineup", e, "mobile network on a TV screen");
    }
    if (live) this.#tune(e, service, t, shiftMs);
    else this.#play(e, service);
  }

  #tune(e: Fields, service: Service, t: number, shiftMs: number): void {
    const channelId = e["channelId"] as string;
    const channel = this.#w.channel.get(channelId);
    if (!channel || !this.#w.lineup.get(service.id)!.has(channelId)) {
      this.#flag("lineup", e, `${channelId} not in ${service.id}'s line-up`);
    } else if (channel.province !== undefined) {
      const city = this.#w.city.get(e["region"] as string);
      if (city?.province !== channel.province) {
        this.#flag("lineup", e, `regional ${channelId} outside its province`);
      }
    }
    if (
      e["tuneMethod"] === "power_on" &&
      !TV_SCREENS.has(e["deviceType"] as string)
    ) {
      this.#flag("lineup", e, "power_on on a screen without a remote");
    }
    if (shiftMs > 0 && !service.timeshift) {
      this.#flag("lineup", e, `${service.id} offers no time-shift`);
    }
    this.program(e, channelId, t - shiftMs, e["programGenre"] as string);
  }

  #play(e: Fields, service: Service): void {
    if (service.catalog === 0) {
      this.#flag("catalogue", e, `${service.id} has no on-demand catalogue`);
    }
    const id = e["contentId"] as string;
    if (!id.startsWith(`${service.prefix}_`)) {
      this.#flag("catalogue", e, `${id} not in ${service.id}'s catalogue`);
    }
    if (!(service.cdns[e["cdn"] as string]! > 0)) {
      this.#flag("catalogue", e, `${service.id} does not use ${e["cdn"]}`);
    }
  }

  /**
   * An event names the program airing on a channel at `t` (broadcast
   * time): it must have started by then, keep its genre, and (checked at
   * the end) not still be named once the next program has started.
   */
  program(e: Fields, channelId: string, t: number, genre?: string): void {
    const id = e["programId"] as string;
    let programs = this.#programs.get(channelId);
    if (!programs) this.#programs.set(channelId, programs = new Map());
    let seen = programs.get(id);
    if (!seen) {
      // A program's id is read once per channel: its start, its channel.
      const start = programStart(id);
      if (start === undefined || !id.startsWith(`${channelId}-`)) {
        this.#flag("epg", e, "programId does not name its channel and start");
        return;
      }
      programs.set(id, seen = { start, genre: genre ?? "", lastSeen: t });
    } else if (
      genre !== undefined && seen.genre !== "" && genre !== seen.genre
    ) {
      this.#flag("epg", e, "program changed genre");
    }
    if (t < seen.start - 1_000) {
      this.#flag("epg", e, "program named before it starts");
    }
    if (t > seen.lastSeen) seen.lastSeen = t;
  }

  /** An ad break opens: allowed on this channel, service and program; the same pod as every other viewer's. */
  adBreak(e: Fields, p: Play, t: number): void {
    const service = this.#w.service.get(e["serviceId"] as string);
    if (!p.live) {
      if (service && !service.vodAds) {
        this.#flag("ad_free", e, `ad on ad-free service ${service.id}`);
      }
      return;
    }
    const channel = this.#w.channel.get(p.channelId!);
    if (!channel || !service || !liveAdsAllowed(channel, service)) {
      this.#flag("ad_free", e, `ad on ${p.channelId} in ${e["serviceId"]}`);
    }
    const genre = e["programGenre"];
    if (genre === "news" || genre === "kids") {
      this.#flag("ad_free", e, `ad break during ${genre}`);
    }
    if (e["programId"] !== undefined) {
      this.program(e, p.channelId!, t, genre as string);
    }
    this.#sameBreak(e, t);
  }

  #sameBreak(e: Fields, t: number): void {
    const id = e["adBreakId"] as string;
    const seen = this.#breaks.get(id);
    if (!seen) {
      if (this.#breaks.size > 50_000) this.#forgetBreaks(t);
      this.#breaks.set(id, {
        at: t,
        planned: e["plannedDurationSec"] as number,
        podLength: e["podLength"] as number,
        ads: [],
      });
      return;
    }
    if (
      Math.abs(seen.at - t) > 1_000 ||
      seen.planned !== e["plannedDurationSec"] ||
      seen.podLength !== e["podLength"]
    ) this.#flag("ads", e, "viewers of one linear break see different pods");
  }

  #forgetBreaks(t: number): void {
    for (const [id, b] of this.#breaks) {
      if (t - b.at > BREAK_MEMORY_MS) this.#breaks.delete(id);
    }
  }

  /** An ad starts: one length per creative; in a linear break, the spot every viewer sees there. */
  adStart(e: Fields, live: boolean): void {
    const adId = e["adId"] as string;
    const len = e["adDurationSec"] as number;
    const known = this.#creatives.get(adId);
    if (known === undefined) this.#creatives.set(adId, len);
    else if (known !== len) {
      this.#flag("ads", e, `creative ${adId} with two lengths`);
    }
    if (!live) return;
    const b = this.#breaks.get(e["adBreakId"] as string);
    if (!b) return;
    const k = (e["podPosition"] as number) - 1;
    if (b.ads[k] === undefined) b.ads[k] = adId;
    else if (b.ads[k] !== adId) {
      this.#flag("ads", e, "viewers of one linear break see different spots");
    }
  }

  /** At the end: two programs of a channel never overlap. */
  finish(): void {
    for (const [channelId, programs] of this.#programs) {
      const list = [...programs.entries()].sort((a, b) =>
        a[1].start - b[1].start
      );
      for (let i = 1; i < list.length; i++) {
        const [prevId, prev] = list[i - 1]!;
        const [nextId, next] = list[i]!;
        if (prev.lastSeen > next.start + 1_000) {
          this.#flag(
            "epg",
            { channelId, programId: prevId },
            `still airing after ${nextId} started`,
          );
        }
      }
    }
  }
}
