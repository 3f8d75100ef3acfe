/** `addr:port`, with an IPv6 address in brackets (`[2001:db8::1]:443`), as URLs and RFC 3986 write it. */
export function hostPort(addr: string, port: number | string): string {
  return addr.includes(":") ? `[${addr}]:${port}` : `${addr}:${port}`;
}
