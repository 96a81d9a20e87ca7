/**
 * Issue 30 B: the fake Kubernetes API's RBAC rule matching and label selectors follow Kubernetes'
 * (RuleAllows; labels.Parse), so a rendered Role is judged as a cluster would judge it.
 */
import { matchesLabelSelector, ruleAllows } from './kube-api.js';

const req = (o: Partial<Parameters<typeof ruleAllows>[1]> = {}) => ({
  verb: 'get',
  group: '',
  resource: 'secrets',
  plural: 'secrets',
  subresource: undefined,
  name: 'a',
  ...o,
});

describe('ruleAllows (Kubernetes RBAC rule semantics)', () => {
  it('verbs, apiGroups and resources must each match, * matching all', () => {
    expect(ruleAllows({ apiGroups: [''], resources: ['secrets'], verbs: ['get'] }, req())).toBe(true);
    expect(ruleAllows({ apiGroups: [''], resources: ['secrets'], verbs: ['list'] }, req())).toBe(false);
    expect(ruleAllows({ apiGroups: ['apps'], resources: ['secrets'], verbs: ['get'] }, req())).toBe(false);
    expect(ruleAllows({ apiGroups: ['*'], resources: ['*'], verbs: ['*'] }, req({ verb: 'delete' }))).toBe(true);
  });

  it('resourceNames bind a request naming one of them; create and list (no name) never match such a rule', () => {
    const r = { apiGroups: [''], resources: ['secrets'], resourceNames: ['a'], verbs: ['get', 'create', 'list'] };
    expect(ruleAllows(r, req())).toBe(true);
    expect(ruleAllows(r, req({ name: 'b' }))).toBe(false);
    expect(ruleAllows(r, req({ verb: 'create', name: undefined }))).toBe(false);
    expect(ruleAllows(r, req({ verb: 'list', name: undefined }))).toBe(false);
  });

  it('a subresource needs its own resource entry (deployments/scale or */scale), not the parent', () => {
    const scale = req({ group: 'apps', resource: 'deployments/scale', plural: 'deployments', subresource: 'scale', name: 'd' });
    expect(ruleAllows({ apiGroups: ['apps'], resources: ['deployments'], verbs: ['get'] }, scale)).toBe(false);
    expect(ruleAllows({ apiGroups: ['apps'], resources: ['deployments/scale'], verbs: ['get'] }, scale)).toBe(true);
    expect(ruleAllows({ apiGroups: ['apps'], resources: ['*/scale'], verbs: ['get'] }, scale)).toBe(true);
    expect(
      ruleAllows(
        { apiGroups: ['apps'], resources: ['deployments/scale'], verbs: ['get'] },
        { ...scale, resource: 'deployments', subresource: undefined },
      ),
    ).toBe(false);
  });
});

describe('matchesLabelSelector', () => {
  const labels = { app: 'x', tier: 'web' };
  it.each([
    ['app=x', true],
    ['app==x', true],
    ['app!=x', false],
    ['app=x,tier=web', true],
    ['app=x,tier=db', false],
    ['tier in (db, web)', true],
    ['tier notin (db,web)', false],
    ['app', true],
    ['!app', false],
    ['missing!=v', true],
    ['', true],
  ])('%s -> %s', (selector, expected) => expect(matchesLabelSelector(labels, selector)).toBe(expected));
});
