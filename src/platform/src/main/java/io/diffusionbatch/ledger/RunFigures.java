package io.diffusionbatch.ledger;

import java.util.LinkedHashMap;
import java.util.Map;

/**
 * One run's figures in the survey's terms (quality against cost). Null figures were not measured.
 *
 * @param secondsPerSample  engine time per sample (sum of stages, incl. writing)
 * @param samplesPerSecond  throughput over the generate step's wall time
 * @param flopsPerSample    NFE × UNet FLOPs per evaluation + text encoder + decoder
 * @param energyJoulesPerSample null when not measured
 * @param gco2Per1kSamples  null when energy is unknown
 * @param fid               null until quality is measured for the run
 * @param adherence         null until quality is measured for the run
 */
public record RunFigures(long run, String model, String sampler, int steps, double nfe, double guidance, int batchSize,
                         long samples, double secondsPerSample, double samplesPerSecond, long params,
                         double flopsPerSample, String device, String provider, Double energyJoulesPerSample,
                         String energySource, Double gco2Per1kSamples, Double fid, Double adherence) {

    /** The figures by column name, in report order (values may be null). */
    public Map<String, Object> columns() {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("run", run);
        m.put("model", model);
        m.put("sampler", sampler);
        m.put("steps", steps);
        m.put("NFE", nfe);
        m.put("guidance", guidance);
        m.put("batch", batchSize);
        m.put("samples", samples);
        m.put("s/sample", secondsPerSample);
        m.put("samples/s", samplesPerSecond);
        m.put("params", params);
        m.put("GFLOPs/sample", flopsPerSample / 1e9);
        m.put("device", device + " (" + provider + ")");
        m.put("J/sample", energyJoulesPerSample);
        m.put("gCO2/1k samples", gco2Per1kSamples);
        m.put("FID", fid);
        m.put("adherence", adherence);
        return m;
    }
}
