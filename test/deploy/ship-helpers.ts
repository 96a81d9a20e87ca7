/**
 * Shared by the ship tests (issue 15): docker/Dockerfile split into stages with dockerfile-ast,
 * the repo's service list, and small YAML-free readers. No I/O beyond reading repo files.
 */
import fs from 'node:fs';
import path from 'node:path';
import { DockerfileParser, type Instruction } from 'dockerfile-ast';

export const ROOT = path.resolve(import.meta.dirname, '../..');
export const DOCKERFILE = path.join(ROOT, 'docker/Dockerfile');

/** The images of the contract: one target per service plus the tools image. */
export const SERVICE_TARGETS = ['gateway', 'catalog', 'inventory', 'orders', 'search-indexer', 'notifier'] as const;
export const ALL_TARGETS = [...SERVICE_TARGETS, 'tools'] as const;

export interface Stage {
  name: string | null;
  /** the FROM image, or the name of the stage it builds on */
  from: string;
  instructions: Instruction[];
}

export function parseStages(text: string): Stage[] {
  const stages: Stage[] = [];
  for (const instruction of DockerfileParser.parse(text).getInstructions()) {
    if (instruction.getKeyword() === 'FROM') {
      const args = instruction.getArguments().map((a) => a.getValue());
      const asIndex = args.findIndex((a) => a.toUpperCase() === 'AS');
      const image = args.filter((a) => !a.startsWith('--'))[0] ?? '';
      stages.push({ name: asIndex >= 0 ? (args[asIndex + 1] ?? null) : null, from: image, instructions: [] });
    } else if (stages.length > 0) {
      stages[stages.length - 1]!.instructions.push(instruction);
    }
  }
  return stages;
}

/**
 * The instructions a stage's image carries: its parents' (a FROM naming an earlier stage
 * inherits its config, as in Docker) and then its own, in order.
 */
export function effectiveInstructions(stages: Stage[], name: string): Instruction[] {
  const stage = stages.find((s) => s.name === name);
  if (!stage) throw new Error(`no stage ${name}`);
  const parent = stages.find((s) => s.name === stage.from);
  return [...(parent ? effectiveInstructions(stages, parent.name!) : []), ...stage.instructions];
}

/** The last instruction with this keyword wins (USER, ENTRYPOINT, CMD, HEALTHCHECK, WORKDIR). */
export function last(instructions: Instruction[], keyword: string): Instruction | undefined {
  return instructions.filter((i) => i.getKeyword() === keyword).at(-1);
}

/** An exec-form (JSON) instruction's strings, or the shell form's words. */
export function execArgs(instruction: Instruction): string[] {
  // getArgumentsContent() leaves out --flags (HEALTHCHECK --interval=...), keeps `CMD [...]`.
  const raw = (instruction.getArgumentsContent() ?? '').trim();
  const json = /^(CMD\s+)?(\[.*\])$/s.exec(raw);
  if (json) return JSON.parse(json[2]!) as string[];
  return instruction.getArguments().map((a) => a.getValue());
}

/** services/* whose project.json tags say type:service (the deployables). */
export function deployableServices(): string[] {
  const dir = path.join(ROOT, 'services');
  return fs
    .readdirSync(dir)
    .filter((name) => {
      const file = path.join(dir, name, 'project.json');
      if (!fs.existsSync(file)) return false;
      const tags = (JSON.parse(fs.readFileSync(file, 'utf8')) as { tags?: string[] }).tags ?? [];
      return tags.includes('type:service');
    })
    .sort();
}

/** The names of the Dockerfile's stages. */
export function dockerfileTargets(text = fs.readFileSync(DOCKERFILE, 'utf8')): string[] {
  return parseStages(text)
    .map((s) => s.name)
    .filter((n): n is string => n !== null);
}
