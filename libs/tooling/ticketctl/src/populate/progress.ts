/**
 * Progress of a populate phase: a bar with counts and keys/s on a terminal (cli-progress), a
 * line every few seconds otherwise (CI logs, the stack launcher), always on stderr.
 */
import cliProgress from 'cli-progress';

export interface PhaseProgress {
  add(units: number, keys: number): void;
  done(): { units: number; keys: number; ms: number };
}

export class Progress {
  /** One multi-bar for phases that run side by side (users, favourites and purchases do). */
  private multi: cliProgress.MultiBar | null = null;
  private open = 0;

  constructor(
    private readonly out: NodeJS.WriteStream = process.stderr,
    private readonly quiet = false,
  ) {}

  phase(name: string, total: number): PhaseProgress {
    const started = Date.now();
    let units = 0;
    let keys = 0;
    const rate = () => Math.round(keys / Math.max(0.001, (Date.now() - started) / 1000));
    const label = name.padEnd(13);
    if (this.quiet) {
      return {
        add: (u, k) => ((units += u), (keys += k)),
        done: () => ({ units, keys, ms: Date.now() - started }),
      };
    }
    if (this.out.isTTY) {
      this.multi ??= new cliProgress.MultiBar(
        {
          format: `{phase} [{bar}] {value}/{total} | {keys} keys | {rate} keys/s | {duration_formatted}`,
          stream: this.out,
          hideCursor: true,
          barsize: 28,
          clearOnComplete: false,
        },
        cliProgress.Presets.shades_classic,
      );
      const bar = this.multi.create(total, 0, { phase: label, keys: 0, rate: 0 });
      this.open++;
      return {
        add: (u, k) => {
          units += u;
          keys += k;
          bar.update(units, { keys, rate: rate() });
        },
        done: () => {
          bar.update(units, { keys, rate: rate() });
          if (--this.open === 0) {
            this.multi?.stop();
            this.multi = null;
          }
          return { units, keys, ms: Date.now() - started };
        },
      };
    }
    let last = Date.now();
    return {
      add: (u, k) => {
        units += u;
        keys += k;
        if (Date.now() - last > 3000) {
          last = Date.now();
          this.out.write(`${label} ${units}/${total}, ${keys} keys, ${rate()} keys/s\n`);
        }
      },
      done: () => {
        const ms = Date.now() - started;
        this.out.write(`${label} ${units}/${total} done: ${keys} keys in ${(ms / 1000).toFixed(1)} s (${rate()} keys/s)\n`);
        return { units, keys, ms };
      },
    };
  }

  note(line: string): void {
    if (this.quiet) return;
    if (this.multi) this.multi.log(`${line}\n`);
    else this.out.write(`${line}\n`);
  }
}
