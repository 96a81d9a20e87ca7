/**
 * Issue 15 acceptance: "every service under services/ appears in the chart, the Dockerfile
 * targets and skaffold.yaml (a test fails when one is missing)". The services are the folders of
 * services/* tagged type:service in their project.json (services/web is not: the gateway image
 * carries it); SERVICE_NAMES in libs/shared/keys must name the same set.
 */
import fs from 'node:fs';
import path from 'node:path';
import { SERVICE_NAMES } from '@ticketcd/keys';
import { parse } from 'yaml';
import { ROOT, deployableServices, dockerfileTargets } from './ship-helpers.js';

const services = deployableServices();

function readYaml<T>(file: string): T {
  return parse(fs.readFileSync(path.join(ROOT, file), 'utf8')) as T;
}

interface Skaffold {
  build: { artifacts: { image: string; docker?: { dockerfile?: string; target?: string } }[] };
  deploy: { helm: { releases: { chartPath: string; setValueTemplates?: Record<string, string> }[] } };
}

describe('every service is deployed', () => {
  it('services/* tagged type:service are the six of SERVICE_NAMES', () => {
    expect(services.length).toBeGreaterThan(0);
    expect(services).toEqual([...SERVICE_NAMES].sort());
    expect(services).not.toContain('web');
  });

  it.each(services)('%s has a key under services: in helm/ticketcd/values.yaml', (service) => {
    const values = readYaml<{ services?: Record<string, unknown> }>('helm/ticketcd/values.yaml');
    expect(Object.keys(values.services ?? {})).toContain(service);
  });

  it.each(services)('%s has a target in docker/Dockerfile', (service) => {
    expect(dockerfileTargets()).toContain(service);
  });

  it.each(services)('%s is a skaffold artifact (its target) and its image reaches the chart', (service) => {
    const skaffold = readYaml<Skaffold>('skaffold.yaml');
    const artifact = skaffold.build.artifacts.find((a) => a.image === `ticketcd/${service}`);
    expect(artifact?.docker).toEqual({ dockerfile: 'docker/Dockerfile', target: service });
    // skaffold names template variables after the image, "/" and "-" made "_"
    const name = `ticketcd/${service}`.replace(/[/-]/g, '_');
    const templates = skaffold.deploy.helm.releases[0]!.setValueTemplates ?? {};
    expect(templates[`services.${service}.image.repository`]).toBe(`{{.IMAGE_REPO_${name}}}`);
    expect(templates[`services.${service}.image.tag`]).toBe(`{{.IMAGE_TAG_${name}}}`);
  });

  it('skaffold deploys helm/ticketcd with values-dev and without helm --wait (the auth hook runs after it)', () => {
    const release = readYaml<{
      deploy: { helm: { releases: { chartPath: string; valuesFiles: string[]; wait?: boolean }[] } };
    }>('skaffold.yaml').deploy.helm.releases[0]!;
    expect(release.chartPath).toBe('helm/ticketcd');
    expect(release.valuesFiles).toEqual(['helm/ticketcd/values-dev.yaml']);
    expect(release.wait ?? false).toBe(false);
  });

  it('the tools image is a Dockerfile target and a skaffold artifact too', () => {
    expect(dockerfileTargets()).toContain('tools');
    const skaffold = readYaml<Skaffold>('skaffold.yaml');
    expect(skaffold.build.artifacts.map((a) => a.image)).toContain('ticketcd/tools');
    expect(skaffold.deploy.helm.releases[0]!.setValueTemplates?.['tools.image.repository']).toBe('{{.IMAGE_REPO_ticketcd_tools}}');
  });
});
