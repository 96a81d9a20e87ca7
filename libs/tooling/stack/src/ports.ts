import net from 'node:net';

function canBind(port: number, host = '127.0.0.1'): Promise<boolean> {
  return new Promise((resolve) => {
    const srv = net.createServer();
    srv.once('error', () => resolve(false));
    srv.listen(port, host, () => srv.close(() => resolve(true)));
  });
}

/**
 * A base port such that base..base+span-1 are all free on loopback (tests use random bases).
 * The range stays below Linux's ephemeral ports (32768 and up): a port picked there can be taken
 * by some client's outgoing connection between the check and etcd's bind. The dev stack's
 * default block (23790-23849) is skipped.
 */
export async function findFreePortBlock(span: number, from = 10000, to = 32000): Promise<number> {
  for (let attempt = 0; attempt < 50; attempt++) {
    const base = from + Math.floor((Math.random() * (to - from - span)) / 100) * 100;
    if (base < 23900 && base + span > 23700) continue;
    let free = true;
    for (let p = base; p < base + span && free; p++) free = await canBind(p);
    if (free) return base;
  }
  throw new Error(`no block of ${span} free ports found between ${from} and ${to}`);
}
