/** Money and dates through Intl, in the viewer's locale and time zone. */
const locale = typeof navigator === 'undefined' ? 'en' : navigator.language;
const money = new Intl.NumberFormat(locale, { style: 'currency', currency: 'EUR' });
const dateLong = new Intl.DateTimeFormat(locale, {
  weekday: 'short',
  day: 'numeric',
  month: 'short',
  year: 'numeric',
  hour: '2-digit',
  minute: '2-digit',
});
const dateShort = new Intl.DateTimeFormat(locale, { day: 'numeric', month: 'short', hour: '2-digit', minute: '2-digit' });
const relative = new Intl.RelativeTimeFormat(locale, { numeric: 'auto' });

/** Prices are integer cents in the API. */
export function formatMoney(cents: number): string {
  return money.format(cents / 100);
}

export function formatDate(iso: string | number | Date): string {
  return dateLong.format(new Date(iso));
}

export function formatDateShort(iso: string | number | Date): string {
  return dateShort.format(new Date(iso));
}

/** "3 minutes ago", "in 2 days". */
export function formatRelative(iso: string | number | Date, now = Date.now()): string {
  const s = (new Date(iso).getTime() - now) / 1000;
  const abs = Math.abs(s);
  if (abs < 45) return relative.format(Math.round(s), 'second');
  if (abs < 2700) return relative.format(Math.round(s / 60), 'minute');
  if (abs < 79200) return relative.format(Math.round(s / 3600), 'hour');
  return relative.format(Math.round(s / 86400), 'day');
}

export function formatBytes(n: number): string {
  if (n < 1024) return `${n} B`;
  const units = ['KiB', 'MiB', 'GiB', 'TiB'];
  let v = n / 1024;
  let i = 0;
  while (v >= 1024 && i < units.length - 1) {
    v /= 1024;
    i++;
  }
  return `${v.toFixed(v < 10 ? 1 : 0)} ${units[i]}`;
}

export function plural(n: number, one: string, many = `${one}s`): string {
  return `${n.toLocaleString(locale)} ${n === 1 ? one : many}`;
}
