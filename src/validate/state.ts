/**
 * What the validator keeps per device, per open play and per household,
 * and the sink its checks report violations to.
 *
 * @module
 */
import type { Rule } from "./rules.ts";

/** An event as the checks read it. */
export type Fields = Record<string, unknown>;

/** Records a violation of `rule` by `event`. */
export type Flag = (rule: Rule, event: Fields, why: string) => void;

/** An open tune or play. */
export interface Play {
  id: string;
  live: boolean;
  start: number;
  /** Started in an incident's window: left out of the KPIs. */
  inIncident?: boolean;
  /** When the heartbeat clock last (re)started. */
  anchor: number;
  state: "starting" | "playing" | "paused" | "buffering" | "seeking" | "ad";
  firstFrame: boolean;
  /** End of the pre-roll (or the start): where start-up is measured from. */
  preEnd: number;
  durationSec?: number;
  channelId?: string;
  /** A time-shifted tune: how far behind the broadcast (ms). */
  shiftMs: number;
  lastHbPos?: number;
  lastHbT?: number;
  /** Time not played since the last heartbeat (stalls, pauses, ads). */
  stallMs: number;
  seekSinceHb: boolean;
  position?: number;
  seekTo?: number;
  lastFatal?: number;
  adOpen?: {
    adId: string;
    start: number;
    duration: number;
    q: number;
    skippable: boolean;
  };
  adBreak?: string;
  adBreakStart: number;
  /** The viewer left during the pre-roll. */
  leftInPreRoll?: boolean;
  pauseStart: number;
  bufferStart: number;
}

/** A device with an app session open. */
export interface DeviceState {
  lastT: number;
  open: boolean;
  sessionStart: number;
  play?: Play;
  householdId: string;
}

/** What the events of a household have shown of it. */
export interface HouseholdState {
  region: string;
  postalCode: string;
  isp: string;
  devices: Set<string>;
  users: Set<string>;
  size?: number;
  tvCount?: number;
  regionCode?: string;
  /** Tunes and plays open now. */
  active: number;
}
