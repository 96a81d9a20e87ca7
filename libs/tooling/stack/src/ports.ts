import net from 'node:net';

function canBind(port: number, host = '127.0.0.1'): Promise<boolean> {
  return new Promise((resolve) => {
    const srv = net.createServer();
    srv.once('error', () => resolve(false));
    srv.listen(port, host, () => srv.close(() => resolve(true)));
  });
}

/** A base port such that base..base+span-1 are all free on loopback (tests use random bases). */
export async function findFreePortBlock(span: number, from = 30000, to = 60000): Promise<number> {
  for (let attempt = 0; attempt < 50; attempt++) {
    const base = from + Math.floor((Math.random() * (to - from - span)) / 100) * 100;
    let free = true;
    for (let p = base; p < base + span && free; p++) free = await canBind(p);
    if (free) return base;
  }
  throw new Error(`no block of ${span} free ports found between ${from} and ${to}`);
}
