package io.diffusionbatch.media;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.diffusionbatch.engine.GeneratedItem;
import io.diffusionbatch.engine.GenerationSpec;
import io.diffusionbatch.engine.ModelIdentity;
import io.diffusionbatch.engine.SamplingParams;
import io.diffusionbatch.engine.sampler.Samplers;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * The samplers in the A1111 {@code parameters} text, checked against how the AUTOMATIC1111 web UI (1.9 and later,
 * read at 1.10) reads them back: {@link A1111InfotextForgeryTest.WebUiReader} for {@code parse_generation_parameters}
 * and {@link #webUiSamplerAndSchedule} for {@code sd_samplers.get_sampler_and_scheduler} plus the schedule the
 * k-diffusion sampler then uses ({@code KDiffusionSampler.get_sigmas}: {@code Automatic} is the sampler's
 * {@code options['scheduler']}, none = the model's uniform {@code get_sigmas}).
 */
class ProvenanceA1111Test {

    private static final ModelIdentity MODEL = new ModelIdentity("m", "ab".repeat(32), true, "9.9");

    private static A1111Parameters a1111(String sampler, double eta) {
        SamplingParams p = new SamplingParams(sampler, 20, 7.5, 0.0, eta, 64, 64, 0, null, null);
        GeneratedItem item = new GeneratedItem(new GenerationSpec("a cat", "", 42, p), new float[0],
                new long[] {3, 64, 64}, new float[0], new long[] {4, 8, 8}, false, 3, null);
        return Provenance.a1111(item, MODEL);
    }

    private static String settings(String sampler, double eta) {
        String text = a1111(sampler, eta).format();
        return text.substring(text.lastIndexOf('\n') + 1);
    }

    @Test
    void everySamplerIsWrittenAsTheWebUiWritesIt() {
        String tail = "CFG scale: 7.5, Seed: 42, Size: 64x64, Model hash: ababababab, Model: m";
        assertThat(settings("ddim", 0)).isEqualTo("Steps: 20, Sampler: DDIM, " + tail + ", Version: diffusion-batch 9.9");
        assertThat(settings("euler", 0)).isEqualTo("Steps: 20, Sampler: Euler, Schedule type: Uniform, " + tail
                + ", Version: diffusion-batch 9.9");
        assertThat(settings("euler-a", 0)).isEqualTo("Steps: 20, Sampler: Euler a, Schedule type: Uniform, " + tail
                + ", Version: diffusion-batch 9.9");
        assertThat(settings("dpmpp-2m", 0)).isEqualTo("Steps: 20, Sampler: DPM++ 2M, Schedule type: Uniform, " + tail
                + ", Version: diffusion-batch 9.9");
        assertThat(settings("dpmpp-2m-karras", 0)).isEqualTo("Steps: 20, Sampler: DPM++ 2M, Schedule type: Karras, "
                + tail + ", Version: diffusion-batch 9.9");
        assertThat(settings("lcm", 0)).isEqualTo("Steps: 20, Sampler: LCM, " + tail + ", Version: diffusion-batch 9.9");
        assertThat(settings("ddpm", 0)).isEqualTo("Steps: 20, " + tail
                + ", diffusion-batch sampler: ddpm, Version: diffusion-batch 9.9");
    }

    @Test
    void karrasIsAScheduleTypeNotPartOfTheSamplerName() {
        String s = settings("dpmpp-2m-karras", 0);
        assertThat(s).contains("Sampler: DPM++ 2M, Schedule type: Karras, CFG scale").doesNotContain("DPM++ 2M Karras");
        assertThat(A1111InfotextForgeryTest.WebUiReader.parse(a1111("dpmpp-2m-karras", 0).format()))
                .containsEntry("Sampler", "DPM++ 2M").containsEntry("Schedule type", "Karras");
    }

    @Test
    void ddpmHasNoWebUiSamplerSoNoneIsClaimed() {
        A1111Parameters p = a1111("ddpm", 0);
        assertThat(p.sampler()).isNull();
        assertThat(p.format()).doesNotContain("Sampler:").doesNotContain("DDPM");
        Map<String, String> read = A1111InfotextForgeryTest.WebUiReader.parse(p.format());
        assertThat(read).doesNotContainKey("Sampler").containsEntry(Provenance.OWN_SAMPLER_KEY, "ddpm");
    }

    @Test
    void ddimEtaIsEtaDdimAndOnlyWhenNotZero() {
        assertThat(settings("ddim", 0.5)).contains(", Eta DDIM: 0.5, ").doesNotContain(" Eta:");
        assertThat(settings("ddim", 1.0)).contains(", Eta DDIM: 1.0, ");
        assertThat(settings("ddim", 0)).doesNotContain("Eta");
        // the engine ignores eta elsewhere, and the web UI's "Eta" (ancestral samplers) is 1.0 by default
        for (String s : List.of("euler-a", "euler", "dpmpp-2m", "dpmpp-2m-karras", "lcm", "ddpm")) {
            assertThat(settings(s, 0.5)).as(s).doesNotContain("Eta");
        }
        assertThat(A1111InfotextForgeryTest.WebUiReader.parse(a1111("ddim", 0.25).format()))
                .containsEntry("Eta DDIM", "0.25").doesNotContainKey("Eta");
    }

    @Test
    void theWebUiRunsTheSamplerAndScheduleTheEngineUsed() {
        Map<String, List<String>> expected = Map.of(
                "ddim", List.of("DDIM", "-"),
                "euler", List.of("Euler", "Uniform"),
                "euler-a", List.of("Euler a", "Uniform"),
                "dpmpp-2m", List.of("DPM++ 2M", "Uniform"),
                "dpmpp-2m-karras", List.of("DPM++ 2M", "Karras"),
                "lcm", List.of("LCM", "Uniform"));
        for (var e : expected.entrySet()) {
            Map<String, String> read = A1111InfotextForgeryTest.WebUiReader.parse(a1111(e.getKey(), 0).format());
            assertThat(webUiSamplerAndSchedule(read)).as(e.getKey()).isEqualTo(e.getValue());
        }
        // what the web UI would have done with the old text: plain "DPM++ 2M" is Karras there, "DDPM" unknown
        assertThat(webUiSamplerAndSchedule(Map.of("Sampler", "DPM++ 2M"))).containsExactly("DPM++ 2M", "Karras");
        assertThat(webUiSamplerAndSchedule(Map.of("Sampler", "DDPM"))).containsExactly("DPM++ 2M", "Karras");
        assertThat(webUiSamplerAndSchedule(Map.of("Sampler", "DPM++ 2M Karras"))).containsExactly("DPM++ 2M", "Karras");
    }

    @Test
    void theEngineSamplerRoundTripsThroughTheText() {
        for (String s : Samplers.names()) {
            A1111Parameters back = A1111Parameters.parse(a1111(s, s.equals("ddim") ? 0.5 : 0).format());
            assertThat(back).as(s).isEqualTo(a1111(s, s.equals("ddim") ? 0.5 : 0));
            assertThat(Provenance.engineSampler(back)).as(s).isEqualTo(s);
        }
        // texts the web UI writes or wrote
        assertThat(engine("DPM++ 2M Karras", null)).isEqualTo("dpmpp-2m-karras");
        assertThat(engine("DPM++ 2M", "Automatic")).isEqualTo("dpmpp-2m-karras");
        assertThat(engine("DPM++ 2M", null)).isEqualTo("dpmpp-2m-karras");
        assertThat(engine("DPM++ 2M", "Exponential")).isNull();
        assertThat(engine("Euler a", "Automatic")).isEqualTo("euler-a");
        assertThat(engine("Euler", "Karras")).isNull();
        assertThat(engine("Heun", null)).isNull();
        assertThat(engine("DDIM", "Automatic")).isEqualTo("ddim");
    }

    @Test
    void everyEngineSamplerHasAMappingAndOthersAreRefused() {
        for (String s : Samplers.names()) {
            assertThat(Provenance.a1111Sampler(s)).as(s).isNotNull();
        }
        assertThatThrownBy(() -> Provenance.a1111Sampler("heun")).isInstanceOf(IllegalArgumentException.class);
    }

    private static String engine(String sampler, String schedule) {
        Map<String, String> extra = schedule == null ? Map.of() : Map.of("Schedule type", schedule);
        return Provenance.engineSampler(new A1111Parameters("p", "", 20, sampler, 7, 1, 8, 8, null, null, extra));
    }

    /**
     * {@code sd_samplers.get_sampler_and_scheduler(d.get("Sampler"), d.get("Schedule type"))} of the web UI 1.10 for
     * the samplers concerned, then the schedule its sampler runs: {sampler, schedule label}; "-" for the timestep
     * samplers (DDIM), which take no schedule.
     */
    private static List<String> webUiSamplerAndSchedule(Map<String, String> d) {
        // name -> options['scheduler'] (samplers_k_diffusion, samplers_timesteps, samplers_lcm); samplers[0] first
        Map<String, String> samplerDefaults = new java.util.LinkedHashMap<>();
        samplerDefaults.put("DPM++ 2M", "karras");
        samplerDefaults.put("Euler a", null);
        samplerDefaults.put("Euler", null);
        samplerDefaults.put("LCM", null);
        samplerDefaults.put("DDIM", null);
        // sd_schedulers.schedulers: name, label (in order)
        String[][] schedulers = {{"automatic", "Automatic"}, {"uniform", "Uniform"}, {"karras", "Karras"},
                {"exponential", "Exponential"}};
        String[] found = schedulers[0];
        String wanted = d.get("Schedule type");
        for (String[] s : schedulers) {
            if (s[0].equals(wanted) || s[1].equals(wanted)) {
                found = s;
            }
        }
        String name = d.getOrDefault("Sampler", "DPM++ 2M");
        for (String[] s : schedulers) {
            for (String option : s) {
                if (name.endsWith(" " + option)) {
                    found = s;
                    name = name.substring(0, name.length() - option.length() - 1);
                    break;
                }
            }
        }
        if (!samplerDefaults.containsKey(name)) {
            name = "DPM++ 2M";
        }
        if (name.equals("DDIM")) {
            return List.of(name, "-");
        }
        String schedule = found[0];
        if (schedule.equals("automatic")) {
            schedule = samplerDefaults.get(name) == null ? "uniform" : samplerDefaults.get(name);
        }
        for (String[] s : schedulers) {
            if (s[0].equals(schedule)) {
                return List.of(name, s[1]);
            }
        }
        throw new AssertionError(schedule);
    }
}
