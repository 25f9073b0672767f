package io.diffusionbatch.request;

import java.nio.file.Path;
import java.util.List;

/** The catalog the tests parse against: the model names config/ will have. */
final class TestCatalog {

    static final CatalogModel LDM = new CatalogModel("shapes-ldm", "image", Path.of("models/shapes-ldm"), 32, 32, 0);
    static final CatalogModel PIXEL = new CatalogModel("shapes-pixel", "image", Path.of("models/shapes-pixel"), 32, 32, 0);
    static final CatalogModel VIDEO = new CatalogModel("shapes-video", "video", Path.of("models/shapes-video"), 32, 32, 8);
    /** A consistency model: its own settings are 4 lcm steps without guidance (as the engine reports them). */
    static final CatalogModel LCM = new CatalogModel("shapes-lcm", "image", Path.of("models/shapes-lcm"), 32, 32, 0,
            io.diffusionbatch.engine.SamplingParams.defaults(32, 32).withSampler("lcm").withSteps(4).withGuidance(1.0));

    static final ModelCatalog CATALOG = ModelCatalog.of(List.of(LDM, PIXEL, VIDEO, LCM));

    private TestCatalog() {
    }
}
