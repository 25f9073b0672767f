package io.diffusionbatch.ledger;

import org.springframework.jdbc.core.simple.JdbcClient;
import org.springframework.beans.factory.annotation.Value;
import org.springframework.stereotype.Service;

import java.util.List;
import java.util.Map;
import java.util.Optional;

/** Reads a run's figures from run_stats, item_stats and run_quality. Thread-safe. */
@Service
public class RunFiguresReader {

    /** Grid carbon intensity used for CO2 when none is configured: the world average, gCO2 per kWh. */
    public static final double DEFAULT_GRID_G_PER_KWH = 475.0;

    private final JdbcClient jdbc;
    private final double gridGPerKwh;

    public RunFiguresReader(JdbcClient jdbc,
                            @Value("${diffusion.energy.grid-g-per-kwh:" + DEFAULT_GRID_G_PER_KWH + "}") double gridGPerKwh) {
        this.jdbc = jdbc;
        this.gridGPerKwh = gridGPerKwh;
    }

    /** Empty when the run does not exist or has no finished items yet. */
    public Optional<RunFigures> read(long run) {
        List<Map<String, Object>> rows = jdbc.sql("""
                SELECT r.model, min(s.sampler) AS sampler, min(s.steps) AS steps, avg(s.nfe) AS nfe,
                       min(s.guidance) AS guidance, max(s.batch_size) AS batch, count(*) AS samples,
                       avg(s.tokenize_seconds + s.text_encode_seconds + s.denoise_seconds + s.decode_seconds
                           + s.write_seconds) AS s_per_sample,
                       max(s.params_total) AS params, avg(s.flops_per_sample::double precision) AS flops,
                       min(s.device) AS device, min(s.execution_provider) AS provider,
                       avg(s.energy_joules) AS joules, min(s.energy_source) AS energy_source,
                       max(rs.items_per_second) AS per_second, max(q.fid) AS fid, max(q.adherence) AS adherence
                FROM requests r JOIN item_stats s ON s.request_id = r.id LEFT JOIN run_stats rs ON rs.request_id = r.id
                     LEFT JOIN run_quality q ON q.request_id = r.id
                WHERE r.id = ? GROUP BY r.model""").param(run).query().listOfRows();
        if (rows.isEmpty()) {
            return Optional.empty();
        }
        Map<String, Object> r = rows.get(0);
        Double joules = r.get("joules") == null ? null : ((Number) r.get("joules")).doubleValue();
        Double co2 = joules == null ? null : joules / 3.6e6 * gridGPerKwh * 1000;
        return Optional.of(new RunFigures(run, (String) r.get("model"), (String) r.get("sampler"),
                ((Number) r.get("steps")).intValue(), num(r, "nfe"), num(r, "guidance"), ((Number) r.get("batch")).intValue(),
                ((Number) r.get("samples")).longValue(), num(r, "s_per_sample"),
                r.get("per_second") == null ? Double.NaN : num(r, "per_second"), ((Number) r.get("params")).longValue(),
                num(r, "flops"), (String) r.get("device"), (String) r.get("provider"), joules,
                (String) r.get("energy_source"), co2, nullable(r, "fid"), nullable(r, "adherence")));
    }

    private static Double nullable(Map<String, Object> r, String k) {
        return r.get(k) == null ? null : ((Number) r.get(k)).doubleValue();
    }

    private static double num(Map<String, Object> r, String k) {
        return ((Number) r.get(k)).doubleValue();
    }
}
