package io.diffusionbatch.web;

import io.diffusionbatch.ledger.ItemAudit;
import io.diffusionbatch.ledger.ItemRecord;
import io.diffusionbatch.ledger.ItemRef;
import io.diffusionbatch.ledger.DashboardStore;
import io.diffusionbatch.ledger.RunSummary;

/** A run or an item that must exist: else a 404 whose message says what there is. Stateless, thread-safe. */
final class Lookups {

    private Lookups() {
    }

    static RunSummary run(DashboardStore store, long id) {
        return store.run(id).orElseThrow(() -> Params.notFound("no run " + id));
    }

    static ItemRecord item(DashboardStore store, ItemAudit audit, ItemRef ref) {
        RunSummary run = run(store, ref.run());
        return audit.find(ref).orElseThrow(() -> {
            long n = run.total();
            return Params.notFound("run " + ref.run() + " has no item " + ref.index() + " (it has " + n + " items"
                    + (n > 0 ? ", 0.." + (n - 1) : "") + ")");
        });
    }
}
