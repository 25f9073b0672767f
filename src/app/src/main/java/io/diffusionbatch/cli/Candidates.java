package io.diffusionbatch.cli;

import io.diffusionbatch.engine.sampler.Samplers;
import java.util.Iterator;
import java.util.List;

/** The values of options that take one of a fixed set, for help texts and bash completion. Stateless. */
final class Candidates {

    private Candidates() {
    }

    /** The engine's samplers. */
    static final class SamplerNames implements Iterable<String> {
        @Override
        public Iterator<String> iterator() {
            return Samplers.names().iterator();
        }
    }

    /** Where the engine runs. */
    static final class Devices implements Iterable<String> {
        @Override
        public Iterator<String> iterator() {
            return List.of("cpu", "cuda").iterator();
        }
    }

    /** File formats of generated items. */
    static final class OutputFormats implements Iterable<String> {
        @Override
        public Iterator<String> iterator() {
            return List.of("png", "npy", "gif", "mp4").iterator();
        }
    }

    /** Timestep spacings of the schedulers. */
    static final class TimestepSpacings implements Iterable<String> {
        @Override
        public Iterator<String> iterator() {
            return List.of("leading", "trailing", "linspace").iterator();
        }
    }

    /** What a model's network predicts. */
    static final class PredictionTypes implements Iterable<String> {
        @Override
        public Iterator<String> iterator() {
            return List.of("epsilon", "v_prediction", "sample").iterator();
        }
    }

    /** Formats of {@code report}. */
    static final class ReportFormats implements Iterable<String> {
        @Override
        public Iterator<String> iterator() {
            return List.of("md", "csv", "json").iterator();
        }
    }
}
