package io.diffusionbatch.request;

import java.nio.file.Path;
import java.util.List;

/** The catalog the tests parse against: the model names config/ will have. */
final class TestCatalog {

    static final CatalogModel LDM = new CatalogModel("shapes-ldm", "image", Path.of("models/shapes-ldm"), 32, 32, 0);
    static final CatalogModel PIXEL = new CatalogModel("shapes-pixel", "image", Path.of("models/shapes-pixel"), 32, 32, 0);
    static final CatalogModel VIDEO = new CatalogModel("shapes-video", "video", Path.of("models/shapes-video"), 32, 32, 8);
    static final CatalogModel LCM = new CatalogModel("shapes-lcm", "image", Path.of("models/shapes-lcm"), 32, 32, 0);

    static final ModelCatalog CATALOG = ModelCatalog.of(List.of(LDM, PIXEL, VIDEO, LCM));

    private TestCatalog() {
    }
}
