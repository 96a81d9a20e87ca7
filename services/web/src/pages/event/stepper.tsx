/** A quantity stepper: − count +, 44-px targets, capped; the count is announced by its label. */
import { cx } from '../../components/ui';

export function Stepper({ value, max, onChange, name }: { value: number; max: number; onChange: (n: number) => void; name: string }) {
  const btn =
    'grid size-11 place-items-center rounded-xl text-xl font-semibold ring-1 ring-line bg-surface text-ink hover:bg-muted disabled:cursor-not-allowed disabled:text-ink-soft disabled:opacity-50';
  return (
    <div className="inline-flex items-center gap-1" role="group" aria-label={`Quantity of ${name}`}>
      <button type="button" className={btn} onClick={() => onChange(value - 1)} disabled={value <= 0} aria-label={`One less ${name}`}>
        −
      </button>
      <output
        aria-live="polite"
        aria-label={`${value} ${name} selected`}
        className={cx('w-8 text-center text-lg font-semibold tabular-nums', value ? 'text-ink' : 'text-ink-soft')}
      >
        {value}
      </output>
      <button type="button" className={btn} onClick={() => onChange(value + 1)} disabled={value >= max} aria-label={`One more ${name}`}>
        +
      </button>
    </div>
  );
}
