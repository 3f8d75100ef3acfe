import type { TcpOptions } from "../../src/events/event.js";

/** The TCP options of an operating system's SYN (Linux): MSS, SACK permitted, timestamps, window scale. */
export const OS_SYN_OPTIONS: TcpOptions = {
  mss: 1460,
  sackPermitted: true,
  timestamps: true,
  wscale: 7,
  kinds: [2, 4, 8, 1, 3],
};
