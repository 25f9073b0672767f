package io.diffusionbatch.sweep;

import io.diffusionbatch.request.CatalogModel;
import io.diffusionbatch.request.GenerationRequest;
import io.diffusionbatch.request.ModelCatalog;
import io.diffusionbatch.request.RequestLimits;
import io.diffusionbatch.request.RequestParser;
import org.junit.jupiter.api.Test;

import java.nio.file.Path;
import java.util.List;
import java.util.Optional;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** A sweep's requests are ordinary requests: the real parser accepts them, and they differ only in the point. */
class SweepPlanTest {

    private static final ModelCatalog CATALOG = new ModelCatalog() {
        @Override
        public Optional<CatalogModel> find(String name) {
            return name.equals("shapes-ldm")
                    ? Optional.of(new CatalogModel(name, "image", Path.of("models/shapes-ldm"), 32, 32, 0)) : Optional.empty();
        }

        @Override
        public List<String> names() {
            return List.of("shapes-ldm");
        }
    };

    @Test
    void onePointOneValidRequestSameSeedsPerPrompt() throws Exception {
        SweepPlan plan = new SweepPlan("sw1", "shapes-ldm", List.of("ddim", "dpmpp-2m"), List.of(4, 20), 5.0,
                List.of("a red circle", "a \"quoted\" blue star"), 10);
        List<SweepPlan.PointRequest> rs = plan.requests();
        assertThat(rs).extracting(SweepPlan.PointRequest::requestId)
                .containsExactly("sw1-ddim-4", "sw1-ddim-20", "sw1-dpmpp-2m-4", "sw1-dpmpp-2m-20");
        for (SweepPlan.PointRequest r : rs) {
            GenerationRequest g = RequestParser.parse(r.json(), RequestLimits.DEFAULTS, CATALOG);
            assertThat(g.params().sampler()).isEqualTo(r.sampler());
            assertThat(g.params().steps()).isEqualTo(r.steps());
            assertThat(g.params().guidance()).isEqualTo(5.0);
            assertThat(g.itemCount()).isEqualTo(2);
            assertThat(g.expansion().item(0).seed()).isEqualTo(10);
            assertThat(g.expansion().item(1).seed()).isEqualTo(11);
            assertThat(g.expansion().item(1).prompt()).isEqualTo("a \"quoted\" blue star");
        }
        assertThatThrownBy(() -> new SweepPlan("x", "m", List.of("ddim"), List.of(0), null, List.of("p"), 0))
                .hasMessageContaining("steps");
        assertThatThrownBy(() -> new SweepPlan("x", "m", List.of(), List.of(4), null, List.of("p"), 0))
                .hasMessageContaining("at least one sampler");
    }
}
