/** A few line icons as inline SVG (no icon font, no emoji: they must render on every system). */
import type { ReactNode } from 'react';
import { cx } from './ui';

function Icon({ children, className }: { children: ReactNode; className?: string }) {
  return (
    <svg
      viewBox="0 0 24 24"
      fill="none"
      stroke="currentColor"
      strokeWidth={2}
      strokeLinecap="round"
      strokeLinejoin="round"
      aria-hidden="true"
      focusable="false"
      className={cx('inline-block size-4 shrink-0', className)}
    >
      {children}
    </svg>
  );
}

export const CalendarIcon = ({ className }: { className?: string }) => (
  <Icon className={className}>
    <rect x="3" y="4" width="18" height="18" rx="2" />
    <path d="M16 2v4M8 2v4M3 10h18" />
  </Icon>
);

export const PinIcon = ({ className }: { className?: string }) => (
  <Icon className={className}>
    <path d="M20 10c0 6-8 12-8 12s-8-6-8-12a8 8 0 0 1 16 0Z" />
    <circle cx="12" cy="10" r="3" />
  </Icon>
);

export const TagIcon = ({ className }: { className?: string }) => (
  <Icon className={className}>
    <path d="M2 9V4a2 2 0 0 1 2-2h5l11 11-7 7L2 9Z" />
    <circle cx="7.5" cy="7.5" r="1.5" />
  </Icon>
);

export const SearchIcon = ({ className }: { className?: string }) => (
  <Icon className={className}>
    <circle cx="11" cy="11" r="7" />
    <path d="m21 21-4.3-4.3" />
  </Icon>
);

export const HeartIcon = ({ className, filled }: { className?: string; filled?: boolean }) => (
  <Icon className={className}>
    <path
      fill={filled ? 'currentColor' : 'none'}
      d="M19 14c1.5-1.5 3-3.2 3-5.5A5.5 5.5 0 0 0 16.5 3c-1.8 0-3 .5-4.5 2-1.5-1.5-2.7-2-4.5-2A5.5 5.5 0 0 0 2 8.5c0 2.3 1.5 4 3 5.5l7 7Z"
    />
  </Icon>
);

export const BellIcon = ({ className }: { className?: string }) => (
  <Icon className={className}>
    <path d="M6 8a6 6 0 0 1 12 0c0 7 3 9 3 9H3s3-2 3-9M10.3 21a1.9 1.9 0 0 0 3.4 0" />
  </Icon>
);
