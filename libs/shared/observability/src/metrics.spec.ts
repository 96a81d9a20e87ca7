import { Metrics } from './metrics.js';

describe('Metrics.gaugeOf', () => {
  it("reads a service's own gauge from memory at each scrape (issue 25.5: inventory's sold-out watches)", async () => {
    const metrics = new Metrics('inventory', 'inventory-0');
    let watches = 3;
    metrics.gaugeOf('ticketcd_inventory_sold_out_watches', 'sold-out watches', () => watches);
    expect(await metrics.registry.metrics()).toMatch(
      /^ticketcd_inventory_sold_out_watches\{service="inventory",instance="inventory-0"\} 3$/m,
    );
    watches = 0;
    expect(await metrics.registry.metrics()).toMatch(
      /^ticketcd_inventory_sold_out_watches\{service="inventory",instance="inventory-0"\} 0$/m,
    );
  });
});
