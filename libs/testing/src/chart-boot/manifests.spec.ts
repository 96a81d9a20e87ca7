/** Issue 30 B: the store the booted chart's controllers, pods and fake API share. */
import { MemoryStore, parseManifests } from './manifests.js';

describe('parseManifests', () => {
  it('drops empty documents (a template rendering nothing) and keeps order', () => {
    const objs = parseManifests(
      '---\n# Source: x\n---\napiVersion: v1\nkind: ConfigMap\nmetadata: {name: a}\n---\n---\napiVersion: v1\nkind: Pod\nmetadata: {name: t}\n',
    );
    expect(objs.map((o) => `${o.kind}/${o.metadata.name}`)).toEqual(['ConfigMap/a', 'Pod/t']);
  });
  it('refuses a document that is not an API object', () => {
    expect(() => parseManifests('foo: bar\n')).toThrow(/not an API object/);
  });
});

describe('MemoryStore', () => {
  it('secretData decodes data and merges stringData over it; configMapData; undefined when absent', () => {
    const s = new MemoryStore('ns', [
      {
        apiVersion: 'v1',
        kind: 'Secret',
        metadata: { name: 's' },
        data: { a: Buffer.from('1').toString('base64'), b: Buffer.from('2').toString('base64') },
        stringData: { b: 'two', c: '3' },
      },
      { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'c' }, data: { k: 'v' } },
    ]);
    expect(s.secretData('s')).toEqual({ a: '1', b: 'two', c: '3' });
    expect(s.configMapData('c')).toEqual({ k: 'v' });
    expect(s.secretData('none')).toBeUndefined();
    expect(s.configMapData('none')).toBeUndefined();
  });

  it('put sets the namespace, refuses another one, copies in and out, and tells listeners of puts and deletes', () => {
    const s = new MemoryStore('ns');
    const seen: string[] = [];
    const off = s.onChange((kind, name) => seen.push(`${kind}/${name}`));
    const obj = { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'c' }, data: { k: 'v' } };
    s.put(obj);
    obj.data.k = 'changed';
    s.get('ConfigMap', 'c')!.data.k = 'changed too';
    expect(s.get('ConfigMap', 'c')).toMatchObject({ metadata: { namespace: 'ns' }, data: { k: 'v' } });
    expect(() => s.put({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'x', namespace: 'other' } })).toThrow(/namespace other/);
    expect(s.delete('ConfigMap', 'c')).toBe(true);
    expect(s.delete('ConfigMap', 'c')).toBe(false);
    off();
    s.put({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'd' } });
    expect(seen).toEqual(['ConfigMap/c', 'ConfigMap/c']);
    expect(s.list('ConfigMap').map((o) => o.metadata.name)).toEqual(['d']);
  });
});
