/**
 * The KPIs of the marks a machine leaves and a real player does not
 * (docs/realism.md 2): heartbeats on an exact period, timestamps on whole
 * seconds, rung changes on a heartbeat's millisecond, linear breaks on the
 * minute, a handful of error codes, buffering only ever from the network.
 *
 * @module
 */
import { type Kpi, kpi } from "./rules.ts";
import type { Fields } from "./state.ts";

/** Running tallies of the artifact KPIs. */
export class MarkTally {
  #events = 0;
  #wholeSecond = 0;
  #heartbeats = 0;
  #exactPeriod = 0;
  readonly #lastBeat = new Map<string, number>();
  #rungChanges = 0;
  #rungOnBeat = 0;
  readonly #lastRung = new Map<string, number>();
  #linearBreaks = 0;
  #minuteBreaks = 0;
  readonly #errorCodes = new Set<string>();
  readonly #causes = new Map<string, number>();

  /** Every event. */
  event(e: Fields, type: string, t: number): void {
    this.#events++;
    if (t % 1000 === 0) this.#wholeSecond++;
    const psid = e["playbackSessionId"] as string | undefined;
    if (type === "heartbeat") this.#heartbeat(psid!, t);
    else if (type === "bitrate_change") {
      this.#rungChanges++;
      this.#lastRung.set(psid!, t);
    } else if (type === "ad_break_start" && e["adPosition"] === "linear") {
      this.#linearBreaks++;
      if (t % 60_000 === 0) this.#minuteBreaks++;
    } else if (type === "error") this.#errorCodes.add(e["errorCode"] as string);
    else if (type === "buffer_start") {
      const c = e["cause"] as string;
      this.#causes.set(c, (this.#causes.get(c) ?? 0) + 1);
    } else if (type === "channel_end" || type === "playback_end") {
      this.#lastBeat.delete(psid!);
      this.#lastRung.delete(psid!);
    }
  }

  #heartbeat(psid: string, t: number): void {
    this.#heartbeats++;
    const last = this.#lastBeat.get(psid);
    if (last !== undefined && t - last === 10_000) this.#exactPeriod++;
    this.#lastBeat.set(psid, t);
    if (this.#lastRung.get(psid) === t) this.#rungOnBeat++;
  }

  /** The artifact KPIs. */
  kpis(): Kpi[] {
    const causes = [...this.#causes.values()].reduce((a, b) => a + b, 0);
    return [
      kpi(
        "heartbeats_exactly_10s",
        this.#heartbeats ? this.#exactPeriod / this.#heartbeats : null,
        [0, 0.05],
        "of heartbeats",
        "players tick on their own timers [D]",
      ),
      kpi(
        "timestamps_on_whole_second",
        this.#events ? this.#wholeSecond / this.#events : null,
        [0, 0.01],
        "of events",
        "1 in 1000 by chance [D]",
      ),
      kpi(
        "rung_changes_on_a_heartbeat",
        this.#rungChanges ? this.#rungOnBeat / this.#rungChanges : null,
        [0, 0.05],
        "of rung changes",
        "ABR switches on segment boundaries [D]",
      ),
      kpi(
        "linear_breaks_on_the_minute",
        this.#linearBreaks ? this.#minuteBreaks / this.#linearBreaks : null,
        [0, 0.05],
        "of breaks",
        "breaks start when the program allows [D]",
      ),
      kpi(
        "error_codes",
        this.#errorCodes.size,
        [8, 1000],
        "distinct codes",
        "players report many failure kinds [D]",
      ),
      kpi(
        "buffering_not_network",
        causes ? 1 - (this.#causes.get("network") ?? 0) / causes : null,
        [0.02, 0.8],
        "of buffer_start",
        "seeks and ad transitions buffer too [D]",
      ),
    ];
  }
}
