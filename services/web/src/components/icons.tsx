/**
 * A few line icons as inline SVG (no icon font, no emoji: a server without an emoji font would
 * show boxes). Decorative: aria-hidden, the text next to them says what they mean.
 */
import type { ReactNode } from 'react';
import { cx } from './ui';

function Svg({ className, children, filled }: { className?: string; children: ReactNode; filled?: boolean }) {
  return (
    <svg
      aria-hidden="true"
      viewBox="0 0 24 24"
      fill={filled ? 'currentColor' : 'none'}
      stroke={filled ? 'none' : 'currentColor'}
      strokeWidth={2}
      strokeLinecap="round"
      strokeLinejoin="round"
      className={cx('size-4 shrink-0', className)}
    >
      {children}
    </svg>
  );
}

type P = { className?: string };

export const BellIcon = ({ className }: P) => (
  <Svg className={className}>
    <path d="M6 8a6 6 0 1 1 12 0c0 7 3 9 3 9H3s3-2 3-9" />
    <path d="M10.3 21a1.94 1.94 0 0 0 3.4 0" />
  </Svg>
);

export const CheckIcon = ({ className }: P) => (
  <Svg className={className}>
    <path d="M20 6 9 17l-5-5" />
  </Svg>
);

export const XIcon = ({ className }: P) => (
  <Svg className={className}>
    <path d="M18 6 6 18M6 6l12 12" />
  </Svg>
);

export const PauseIcon = ({ className }: P) => (
  <Svg className={className}>
    <path d="M9 5v14M15 5v14" />
  </Svg>
);

export const PlayIcon = ({ className }: P) => (
  <Svg className={className}>
    <path d="M7 5v14l11-7z" />
  </Svg>
);

export const EyeIcon = ({ className }: P) => (
  <Svg className={className}>
    <path d="M2 12s3.6-7 10-7 10 7 10 7-3.6 7-10 7S2 12 2 12z" />
    <circle cx="12" cy="12" r="3" />
  </Svg>
);

export const StarIcon = ({ className }: P) => (
  <Svg className={className} filled>
    <path d="m12 2.5 2.9 6.1 6.6.8-4.9 4.6 1.3 6.6L12 17.3l-5.9 3.3 1.3-6.6-4.9-4.6 6.6-.8z" />
  </Svg>
);

export const WarnIcon = ({ className }: P) => (
  <Svg className={className}>
    <path d="M10.3 3.9 1.8 18a2 2 0 0 0 1.7 3h17a2 2 0 0 0 1.7-3L13.7 3.9a2 2 0 0 0-3.4 0z" />
    <path d="M12 9v4M12 17h.01" />
  </Svg>
);

export const TrashIcon = ({ className }: P) => (
  <Svg className={className}>
    <path d="M3 6h18M8 6V4h8v2M19 6l-1 14H6L5 6" />
  </Svg>
);

export const ServerIcon = ({ className }: P) => (
  <Svg className={className}>
    <rect x="3" y="4" width="18" height="7" rx="2" />
    <rect x="3" y="13" width="18" height="7" rx="2" />
    <path d="M7 7.5h.01M7 16.5h.01" />
  </Svg>
);

export const CalendarIcon = ({ className }: { className?: string }) => (
  <Svg className={className}>
    <rect x="3" y="4" width="18" height="18" rx="2" />
    <path d="M16 2v4M8 2v4M3 10h18" />
  </Svg>
);

export const PinIcon = ({ className }: { className?: string }) => (
  <Svg className={className}>
    <path d="M20 10c0 6-8 12-8 12s-8-6-8-12a8 8 0 0 1 16 0Z" />
    <circle cx="12" cy="10" r="3" />
  </Svg>
);

export const TagIcon = ({ className }: { className?: string }) => (
  <Svg className={className}>
    <path d="M2 9V4a2 2 0 0 1 2-2h5l11 11-7 7L2 9Z" />
    <circle cx="7.5" cy="7.5" r="1.5" />
  </Svg>
);

export const SearchIcon = ({ className }: { className?: string }) => (
  <Svg className={className}>
    <circle cx="11" cy="11" r="7" />
    <path d="m21 21-4.3-4.3" />
  </Svg>
);

export const HeartIcon = ({ className, filled }: { className?: string; filled?: boolean }) => (
  <Svg className={className}>
    <path
      fill={filled ? 'currentColor' : 'none'}
      d="M19 14c1.5-1.5 3-3.2 3-5.5A5.5 5.5 0 0 0 16.5 3c-1.8 0-3 .5-4.5 2-1.5-1.5-2.7-2-4.5-2A5.5 5.5 0 0 0 2 8.5c0 2.3 1.5 4 3 5.5l7 7Z"
    />
  </Svg>
);
