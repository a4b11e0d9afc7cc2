/**
 * Client identity: the app version a device runs of a service and the user
 * agent it reports, derived once per session from the device and service
 * (realism 3.1: os, model, appVersion, networkType).
 *
 * @module
 */
import type { Service } from "./catalog.ts";
import type { Device } from "./household.ts";
import { hash32, hashString as code } from "./rng.ts";

/** The share of devices on the newest, previous and older app releases. */
const RELEASE_SPREAD = [0.62, 0.25, 0.09, 0.04];

/** Returns the app version a device runs of a service: most on the newest release, a tail on older ones. */
export function appVersionOf(device: Device, service: Service): string {
  const s = hash32(code(service.id), code(device.os));
  const major = 3 + s % 9;
  const minor = 10 + (s >>> 4) % 30;
  let x = (hash32(code(device.tvId), code(service.id)) % 1000) / 1000;
  let back = 0;
  while (back < RELEASE_SPREAD.length - 1 && x >= RELEASE_SPREAD[back]!) {
    x -= RELEASE_SPREAD[back]!;
    back++;
  }
  return `${major}.${minor - back * 2}.${(s >>> 12) % 4}`;
}

/** Returns the user agent the device's app or browser sends. */
export function userAgentOf(
  device: Device,
  service: Service,
  appVersion: string,
): string {
  const app = service.id.replaceAll(" ", "").replace("+", "Plus");
  const { os, osVersion: v, model } = device;
  switch (os) {
    case "Chrome":
      return `Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/${v}.0.0.0 Safari/537.36`;
    case "Edge":
      return `Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/${v}.0.0.0 Safari/537.36 Edg/${v}.0.0.0`;
    case "Firefox":
      return `Mozilla/5.0 (Windows NT 10.0; Win64; x64; rv:${v}.0) Gecko/20100101 Firefox/${v}.0`;
    case "Safari":
      return `Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/${v} Safari/605.1.15`;
    case "iOS":
    case "iPadOS":
    case "tvOS":
      return `${app}/${appVersion} (${model}; ${os} ${v}) CFNetwork/1.0 Darwin`;
    case "Android":
    case "Google TV":
    case "Android TV":
    case "Google TV Streamer":
    case "Fire TV":
      return `${app}/${appVersion} (Linux; Android ${v}; ${model})`;
    case "Tizen":
      return `Mozilla/5.0 (SMART-TV; LINUX; Tizen ${v}) AppleWebKit/537.36 (KHTML, like Gecko) Version/${v} TV Safari/537.36 ${app}/${appVersion}`;
    case "webOS":
      return `Mozilla/5.0 (Web0S; Linux/SmartTV) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/87.0.4280.88 Safari/537.36 WebAppManager ${app}/${appVersion}`;
    case "PlayStation":
      return `Mozilla/5.0 (PlayStation; ${model}/${v}) AppleWebKit/605.1.15 (KHTML, like Gecko) ${app}/${appVersion}`;
    case "Xbox":
      return `Mozilla/5.0 (Windows NT 10.0; Win64; x64; Xbox; ${model}) AppleWebKit/537.36 (KHTML, like Gecko) Edg/120.0 ${app}/${appVersion}`;
    default:
      return `${app}/${appVersion} (${model}; ${os} ${v})`;
  }
}
