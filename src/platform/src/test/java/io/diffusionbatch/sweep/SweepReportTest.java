package io.diffusionbatch.sweep;

import io.diffusionbatch.ledger.RunFigures;
import org.junit.jupiter.api.Test;
import org.w3c.dom.Document;

import javax.xml.parsers.DocumentBuilderFactory;
import java.io.ByteArrayInputStream;
import java.nio.charset.StandardCharsets;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

/** Table, CSV and plot of a sweep's runs. */
class SweepReportTest {

    private static RunFigures run(long id, String sampler, int steps, Double fid, Double adherence) {
        return new RunFigures(id, "shapes-ldm", sampler, steps, 2.0 * steps, 5.0, 8, 100, 0.01 * steps, 100.0 / steps, 2_600_000,
                2.0 * steps * 164e6, "cpu", "CPUExecutionProvider", 1.5, "estimated:30W", 0.2, fid, adherence);
    }

    private final List<RunFigures> runs = List.of(run(1, "ddim", 4, 30.0, 0.9), run(2, "ddim", 20, 22.0, 1.0),
            run(3, "dpmpp-2m", 4, 35.0, 0.6), run(4, "dpmpp-2m", 20, 21.5, 1.0), run(5, "ddpm", 999, 22.5, 1.0),
            run(6, "euler", 8, null, null));

    @Test
    void tableMarksEachRunsPlaceOnTheFronts() {
        String md = new SweepReport(runs).markdown();
        // FID front: run 1 (NFE 8, 30) and run 4 (NFE 40, 21.5); adherence front: run 1 (0.9) and run 2 (NFE 40, 1.0)
        assertThat(md).contains("| 1 | shapes-ldm | ddim | 4 | 8 |").containsPattern("\\| 1 \\|.*\\| FID \\+ adherence \\|");
        assertThat(md).containsPattern("\\| 4 \\|.*\\| 21\\.500 \\| 100\\.0% \\| FID \\|");
        assertThat(md).containsPattern("\\| 2 \\|.*\\| adherence \\|");
        assertThat(md).containsPattern("\\| 5 \\|.*\\| 22\\.500 \\| 100\\.0% \\|  \\|");
        assertThat(md).containsPattern("\\| 6 \\|.*\\| n/a \\| n/a \\|  \\|");
        String csv = new SweepReport(runs).csv();
        assertThat(csv.lines()).hasSize(7);
        assertThat(csv).contains("\n4,shapes-ldm,dpmpp-2m,20,40.0,").contains(",21.5,1.0,true,false\n");
    }

    @Test
    void plotIsWellFormedSvgWithOnePointPerMeasuredRunAndPanel() throws Exception {
        String svg = new SweepReport(runs).svg("sweep <test> & co");
        Document doc = DocumentBuilderFactory.newInstance().newDocumentBuilder()
                .parse(new ByteArrayInputStream(svg.getBytes(StandardCharsets.UTF_8)));
        assertThat(doc.getDocumentElement().getTagName()).isEqualTo("svg");
        // 5 measured runs × 2 panels + 4 legend dots (ddim, dpmpp-2m, ddpm, euler)
        assertThat(doc.getElementsByTagName("circle").getLength()).isEqualTo(5 * 2 + 4);
        assertThat(doc.getElementsByTagName("polyline").getLength()).isEqualTo(1);
        assertThat(svg).contains("sweep &lt;test&gt; &amp; co");
        // readable axes: NFE 8..1998 on decades, FID from 0 in steps of 10, adherence in percent over 0–100 %
        assertThat(svg).contains(">1<").contains(">10<").contains(">100<").contains(">1000<").contains(">10000<")
                .contains(">0 %<").contains(">100 %<").contains(">40<").doesNotContain(">35.0<");
    }
}
